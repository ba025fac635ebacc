// Schedules: recurring backups stored in the catalog and fired centrally through @nestjs/schedule,
// once per instant across all server replicas. Owns the schedule and schedule_firing tables.
import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AgentsModule } from '../agents/agents.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { TapesModule } from '../tapes/tapes.module.js';
import { CLOCK, systemClock } from './clock.js';
import { ScheduleFiringService } from './schedule-firing.service.js';
import { DEFAULT_SCHEDULE_TIMERS_OPTIONS, SCHEDULE_TIMERS_OPTIONS, ScheduleTimersService } from './schedule-timers.service.js';
import { SchedulesRepository } from './schedules.repository.js';
import { SchedulesResolver } from './schedules.resolver.js';
import { SchedulesService } from './schedules.service.js';

@Module({
  imports: [ScheduleModule.forRoot(), AgentsModule, TapesModule, JobsModule],
  providers: [
    { provide: CLOCK, useValue: systemClock },
    { provide: SCHEDULE_TIMERS_OPTIONS, useValue: DEFAULT_SCHEDULE_TIMERS_OPTIONS },
    SchedulesRepository,
    ScheduleFiringService,
    ScheduleTimersService,
    SchedulesService,
    SchedulesResolver,
  ],
  exports: [SchedulesService, ScheduleFiringService, ScheduleTimersService],
})
export class SchedulesModule {}
