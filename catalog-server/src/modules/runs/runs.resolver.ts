// GraphQL edge of backup runs: `runs` and `run`.
import { Args, ID, Query, Resolver } from '@nestjs/graphql';
import { RunChangesArgs, RunsArgs } from './dto/runs.args.js';
import { RunChangeConnection } from './models/run-change.model.js';
import { RunConnection, RunModel } from './models/run.model.js';
import { RunsService } from './runs.service.js';
import { RequireRole, Role } from '../auth/roles.js';

@Resolver(() => RunModel)
export class RunsResolver {
  constructor(private readonly runsService: RunsService) {}

  @RequireRole(Role.VIEWER)
  @Query(() => RunConnection, { description: 'Backup runs, newest first.' })
  runs(@Args() args: RunsArgs): Promise<RunConnection> {
    return this.runsService.runs(args.host, args.first, args.after);
  }

  @RequireRole(Role.VIEWER)
  @Query(() => RunModel, { nullable: true, description: 'One run by id; null when there is none.' })
  run(@Args('id', { type: () => ID }) id: string): Promise<RunModel | null> {
    return this.runsService.run(id);
  }

  @RequireRole(Role.VIEWER)
  @Query(() => RunChangeConnection, { description: 'What a run added, modified and deleted compared with its base run.' })
  runChanges(@Args() args: RunChangesArgs): Promise<RunChangeConnection> {
    return this.runsService.runChanges(args.runId, args.kinds, args.first, args.after);
  }
}
