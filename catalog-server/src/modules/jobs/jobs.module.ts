import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module.js';
import { FilesModule } from '../files/files.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { TapesModule } from '../tapes/tapes.module.js';
import { OperatorRequestsModule } from '../operator-requests/operator-requests.module.js';
import { AgentLivenessService } from './dispatch/agent-liveness.service.js';
import { CommandRouter } from './dispatch/command-router.js';
import { CommandStreamsRepository } from './dispatch/command-streams.repository.js';
import { DispatchRepository } from './dispatch/dispatch.repository.js';
import { DispatcherService } from './dispatch/dispatcher.service.js';
import { JobLogController } from './events/job-log.controller.js';
import { AssignmentService } from './dispatch/assignment.service.js';
import { NextTapeService } from './dispatch/next-tape.service.js';
import { JobLifecycleService } from './lifecycle/job-lifecycle.service.js';
import { JobLogRepository } from './lifecycle/job-log.repository.js';
import { JobReportRecorder } from './events/job-report-recorder.js';
import { JobEventsService } from './events/job-events.service.js';
import { JobUpdatesPubSub } from './lifecycle/job-updates.pubsub.js';
import { JobsRepository } from './lifecycle/jobs.repository.js';
import { JobsResolver } from './api/jobs.resolver.js';
import { JobsService } from './api/jobs.service.js';
import { RebuildService } from './rebuild/rebuild.service.js';
import { JobsWaitingService } from './lifecycle/jobs-waiting.service.js';
import { RecycledTapeFormatsService } from './api/recycled-tape-formats.service.js';
import { BackupPlanResolver } from './api/backup-plan.resolver.js';
import { BackupPlanService } from './api/backup-plan.service.js';
import { PlanRequestsService } from './dispatch/plan-requests.service.js';
import { TapesInReachService } from './dispatch/tapes-in-reach.service.js';
import { BackupTapeWarnings } from './events/backup-tape-warning.js';

@Module({
  imports: [AgentsModule, TapesModule, FilesModule, RunsModule, OperatorRequestsModule],
  controllers: [JobLogController],
  providers: [
    JobsRepository,
    JobLogRepository,
    JobReportRecorder,
    JobLifecycleService,
    AssignmentService,
    NextTapeService,
    DispatchRepository,
    CommandStreamsRepository,
    CommandRouter,
    JobsService,
    JobEventsService,
    DispatcherService,
    AgentLivenessService,
    JobUpdatesPubSub,
    JobsResolver,
    RebuildService,
    JobsWaitingService,
    RecycledTapeFormatsService,
    PlanRequestsService,
    TapesInReachService,
    BackupTapeWarnings,
    BackupPlanService,
    BackupPlanResolver,
  ],
  exports: [
    NextTapeService,
    CommandRouter,
    JobUpdatesPubSub,
    JobsService,
    JobEventsService,
    DispatcherService,
    AgentLivenessService,
    JobsRepository,
    RebuildService,
    JobsWaitingService,
    PlanRequestsService,
  ],
})
export class JobsModule {}
