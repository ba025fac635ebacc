// GraphQL edge for jobs: queries, the job mutations, and the jobUpdated subscription.
import { Args, ID, Int, Mutation, ObjectType, Parent, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import { Connection, PageArgs } from '../../../common/pagination.js';
import { AgentsService } from '../../agents/agents.service.js';
import { AgentModel } from '../../agents/models/agent.model.js';
import { DriveModel } from '../../agents/models/drive.model.js';
import { JobFilterInput, RebuildCatalogInput, StartBackupInput, StartRestoreInput, StartVerifyInput } from './dto/job-inputs.js';
import { JobUpdatesPubSub } from '../lifecycle/job-updates.pubsub.js';
import { JobsService } from './jobs.service.js';
import { JobEventModel, JobModel } from '../lifecycle/models/job.model.js';
import { JobErrors } from '../lifecycle/jobs.errors.js';
import { RequireRole, Role } from '../../auth/roles.js';

const isFinished = (status: string) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(status);

@ObjectType()
export class JobConnection extends Connection(JobModel, 'Job') {}

@Resolver(() => JobModel)
export class JobsResolver {
  constructor(
    private readonly jobsService: JobsService,
    private readonly agents: AgentsService,
    private readonly updates: JobUpdatesPubSub,
  ) {}

  @RequireRole(Role.VIEWER)
  @Query(() => JobConnection, { description: 'Jobs, newest first.' })
  jobs(@Args('filter', { type: () => JobFilterInput, nullable: true }) filter: JobFilterInput | null, @Args() page: PageArgs) {
    return this.jobsService.list(filter, page);
  }

  @RequireRole(Role.VIEWER)
  @Query(() => JobModel, { nullable: true, description: 'One job; an unknown id is a JOB_NOT_FOUND error.' })
  async job(@Args('id', { type: () => ID }) id: string): Promise<JobModel> {
    const job = await this.jobsService.findById(id);
    if (!job) throw JobErrors.notFound(id);
    return job;
  }

  @RequireRole(Role.OPERATOR, { role: Role.ADMIN, when: (args) => args.force === true, why: 'with force (it erases a tape holding data)' })
  @Mutation(() => JobModel, {
    description: 'Queues a job that formats the tape as an LTFS volume labelled with its barcode. A tape in no library waits for an operator request.',
  })
  formatTape(
    @Args('barcode') barcode: string,
    @Args('force', { type: () => Boolean, nullable: true, defaultValue: false, description: 'Format even if the tape holds data (it is erased).' })
    force: boolean,
    @Args('pool', { type: () => String, nullable: true, description: 'Pool the tape joins once formatted.' }) pool: string | null,
    @Args('agent', {
      type: () => String,
      nullable: true,
      description: 'For a tape in no library: the agent whose library it should be inserted into (default: the one that held it last).',
    })
    agent: string | null,
  ): Promise<JobModel> {
    return this.jobsService.formatTape(barcode, force ?? false, pool, agent);
  }

  @RequireRole(Role.OPERATOR)
  @Mutation(() => JobModel)
  startBackup(@Args('input') input: StartBackupInput): Promise<JobModel> {
    return this.jobsService.startBackup(input);
  }

  @RequireRole(Role.OPERATOR)
  @Mutation(() => JobModel)
  startRestore(@Args('input') input: StartRestoreInput): Promise<JobModel> {
    return this.jobsService.startRestore(input);
  }

  @RequireRole(Role.OPERATOR)
  @Mutation(() => JobModel, {
    description:
      'Re-reads from tape every object of a tape or of a run, in tape order, and compares its SHA-256 with the catalog. A tape with a failed object becomes SUSPECT (restores then prefer another copy); each tape records lastVerifiedAt and lastVerifyResult.',
  })
  startVerify(@Args('input') input: StartVerifyInput): Promise<JobModel> {
    return this.jobsService.startVerify(input);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => JobModel, {
    description:
      "Reads a tape's label and manifests and adds to the catalog what it does not hold: the tape, its backup jobs and runs, file versions, contents and placements (every copy the manifests name). Idempotent: a tape the catalog already knows adds nothing.",
  })
  rebuildCatalog(@Args('input') input: RebuildCatalogInput): Promise<JobModel> {
    return this.jobsService.rebuildCatalog(input);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => [JobModel], {
    description: "rebuildCatalog for every formatted tape in the agent's library (one job per tape, read one after the other or on several drives).",
  })
  rebuildCatalogFromLibrary(@Args('agent') agent: string): Promise<JobModel[]> {
    return this.jobsService.rebuildCatalogFromLibrary(agent);
  }

  @RequireRole(Role.OPERATOR)
  @Mutation(() => JobModel, { description: 'Queued jobs end at once; running ones when their agent has stopped them.' })
  cancelJob(@Args('id', { type: () => ID }) id: string): Promise<JobModel> {
    return this.jobsService.cancel(id);
  }

  @RequireRole(Role.OPERATOR)
  @Mutation(() => JobModel, { description: 'Moves a QUEUED job up or down the queue (0-1000, higher runs first).' })
  setJobPriority(@Args('id', { type: () => ID }) id: string, @Args('priority', { type: () => Int }) priority: number): Promise<JobModel> {
    return this.jobsService.setPriority(id, priority);
  }

  @RequireRole(Role.VIEWER)
  @Subscription(() => JobModel, {
    description: 'The job as it is now, then after every change (status, progress, queue reason); completes once the job has finished.',
  })
  jobUpdated(@Args('id', { type: () => ID }) id: string): AsyncGenerator<{ jobUpdated: JobModel }> {
    return this.followJob(id);
  }

  private async *followJob(id: string): AsyncGenerator<{ jobUpdated: JobModel }> {
    // Listen before reading the current state, so no change can fall between the two.
    const updates = this.updates.subscribe(id);
    try {
      const current = await this.jobsService.findById(id);
      if (!current) throw JobErrors.notFound(id);
      yield { jobUpdated: current };
      if (isFinished(current.status)) return;
      for await (const update of updates) {
        yield update;
        if (isFinished(update.jobUpdated.status)) return;
      }
    } finally {
      await updates.return?.();
    }
  }

  @ResolveField(() => AgentModel, { nullable: true })
  agent(@Parent() job: JobModel): Promise<AgentModel | null> | null {
    return job.agentId ? this.agents.findModelById(job.agentId) : null;
  }

  @ResolveField(() => DriveModel, { nullable: true })
  drive(@Parent() job: JobModel): Promise<DriveModel | null> | null {
    return job.driveId ? this.agents.findDriveModel(job.driveId) : null;
  }

  @ResolveField(() => String, {
    description: 'The whole log (every attempt, progress included) as JSON lines; large logs are better fetched from GET /jobs/{id}/log.jsonl.',
  })
  logJsonl(@Parent() job: JobModel): Promise<string> {
    return this.jobsService.logJsonl(job.id);
  }

  @ResolveField(() => [JobEventModel], {
    description:
      'The files the current attempt could not restore (or read, or verify), each an error line with its `path` and cause, in the order they failed (the first `limit`, at most 10,000; the log export has them all).',
  })
  failedFiles(@Parent() job: JobModel, @Args('limit', { type: () => Int, nullable: true, defaultValue: 1000 }) limit: number): Promise<JobEventModel[]> {
    return this.jobsService.failedFiles(job.id, limit ?? 1000);
  }

  @ResolveField(() => [JobEventModel], { description: "The job's log, oldest first (the latest `limit` lines)." })
  events(
    @Parent() job: JobModel,
    @Args('includeProgress', { type: () => Boolean, nullable: true, defaultValue: false }) includeProgress: boolean,
    @Args('limit', { type: () => Int, nullable: true, defaultValue: 1000 }) limit: number,
  ): Promise<JobEventModel[]> {
    return this.jobsService.events(job.id, includeProgress ?? false, limit ?? 1000);
  }
}
