// GraphQL edge of planBackup: the same input as startBackup, answered without writing anything.
import { Args, Query, Resolver } from '@nestjs/graphql';
import { BackupPlanModel } from './backup-plan.model.js';
import { BackupPlanService } from './backup-plan.service.js';
import { StartBackupInput } from './dto/job-inputs.js';
import { RequireRole, Role } from '../../auth/roles.js';

@Resolver(() => BackupPlanModel)
export class BackupPlanResolver {
  constructor(private readonly plans: BackupPlanService) {}

  @RequireRole(Role.OPERATOR)
  @Query(() => BackupPlanModel, {
    description:
      "What startBackup with this input would do, without doing it: the agent scans the sources (read-only, no tape) and compares them with their base; the answer has files and bytes, what an INCREMENTAL would write, tapes needed per copy at the pool's generation, writable tapes in reach, an estimated duration, and warnings (e.g. the job would wait for tapes). Nothing is written. AGENT_OFFLINE when the agent is not connected, PLAN_TIMEOUT when its scan takes too long (FERRITE_PLAN_TIMEOUT_MS).",
  })
  planBackup(@Args('input') input: StartBackupInput): Promise<BackupPlanModel> {
    return this.plans.planBackup(input);
  }
}
