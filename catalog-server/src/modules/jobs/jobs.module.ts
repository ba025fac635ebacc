import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module.js';
import { FilesModule } from '../files/files.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { TapesModule } from '../tapes/tapes.module.js';
import { OperatorRequestsModule } from '../operator-requests/operator-requests.module.js';
import { AgentLivenessService } from './agent-liveness.service.js';
import { CommandRouter } from './command-router.js';
import { CommandStreamsRepository } from './command-streams.repository.js';
import { DispatchRepository } from './dispatch.repository.js';
import { DispatcherService } from './dispatcher.service.js';
import { JobLogController } from './job-log.controller.js';
import { JobEventsRepository } from './job-events.repository.js';
import { JobEventsService } from './job-events.service.js';
import { JobUpdatesPubSub } from './job-updates.pubsub.js';
import { JobsRepository } from './jobs.repository.js';
import { JobsResolver } from './jobs.resolver.js';
import { JobsService } from './jobs.service.js';
import { RebuildService } from './rebuild.service.js';
import { JobsWaitingService } from './jobs-waiting.service.js';

@Module({
  imports: [AgentsModule, TapesModule, FilesModule, RunsModule, OperatorRequestsModule],
  controllers: [JobLogController],
  providers: [
    JobsRepository,
    JobEventsRepository,
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
  ],
  exports: [
    CommandRouter,
    JobUpdatesPubSub,
    JobsService,
    JobEventsService,
    DispatcherService,
    AgentLivenessService,
    JobsRepository,
    RebuildService,
    JobsWaitingService,
  ],
})
export class JobsModule {}
