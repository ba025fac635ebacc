// GraphQL edge for schedules: queries, mutations, and the computed fields of a schedule.
import { Args, Int, Mutation, ObjectType, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Connection, PageArgs } from '../../common/pagination.js';
import { CreateScheduleInput, UpdateScheduleInput } from './dto/schedule.input.js';
import { ScheduleFiringModel, ScheduleModel } from './models/schedule.model.js';
import { SchedulesService } from './schedules.service.js';
import { RequireRole, Role } from '../auth/roles.js';

@ObjectType()
export class ScheduleConnection extends Connection(ScheduleModel, 'Schedule') {}

@Resolver(() => ScheduleModel)
export class SchedulesResolver {
  constructor(private readonly schedulesService: SchedulesService) {}

  @RequireRole(Role.VIEWER)
  @Query(() => ScheduleConnection)
  schedules(@Args() page: PageArgs) {
    return this.schedulesService.list(page);
  }

  @RequireRole(Role.VIEWER)
  @Query(() => ScheduleModel, { description: 'SCHEDULE_NOT_FOUND when there is no such schedule.' })
  schedule(@Args('name') name: string): Promise<ScheduleModel> {
    return this.schedulesService.getByName(name);
  }

  @ResolveField(() => [Date], { description: 'The next instants it fires at (computed in its time zone); empty while paused.' })
  nextFireTimes(@Parent() schedule: ScheduleModel, @Args('count', { type: () => Int, defaultValue: 5 }) count: number): Date[] {
    return this.schedulesService.nextFireTimes(schedule, count);
  }

  @ResolveField(() => [ScheduleFiringModel], { description: 'Its latest firings, newest first, with the job each started or why none was.' })
  firings(@Parent() schedule: ScheduleModel, @Args('count', { type: () => Int, defaultValue: 10 }) count: number): Promise<ScheduleFiringModel[]> {
    return this.schedulesService.firings(schedule.id, count);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => ScheduleModel)
  createSchedule(@Args('input') input: CreateScheduleInput): Promise<ScheduleModel> {
    return this.schedulesService.create(input);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => ScheduleModel)
  updateSchedule(@Args('name') name: string, @Args('input') input: UpdateScheduleInput): Promise<ScheduleModel> {
    return this.schedulesService.update(name, input);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => ScheduleModel, { description: 'Stops it firing until resumeSchedule; nothing else changes.' })
  pauseSchedule(@Args('name') name: string): Promise<ScheduleModel> {
    return this.schedulesService.pause(name);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => ScheduleModel)
  resumeSchedule(@Args('name') name: string): Promise<ScheduleModel> {
    return this.schedulesService.resume(name);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => ScheduleModel, { description: 'Deletes it (and its firing history); jobs it started stay. Returns it as it was.' })
  deleteSchedule(@Args('name') name: string): Promise<ScheduleModel> {
    return this.schedulesService.delete(name);
  }
}
