// GraphQL edge for drives and changers (both belong to an agent).
import { Args, ObjectType, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Connection, PageArgs } from '../../common/pagination.js';
import { TapeModel } from '../tapes/models/tape.model.js';
import { TapesService } from '../tapes/tapes.service.js';
import { AgentsService } from './agents.service.js';
import { AgentModel } from './models/agent.model.js';
import { ChangerModel, SlotModel } from './models/changer.model.js';
import { DriveModel } from './models/drive.model.js';
import { RequireRole, Role } from '../auth/roles.js';

@ObjectType()
export class DriveConnection extends Connection(DriveModel, 'Drive') {}

@Resolver(() => DriveModel)
export class DrivesResolver {
  constructor(
    private readonly agents: AgentsService,
    private readonly tapes: TapesService,
  ) {}

  @RequireRole(Role.VIEWER)
  @Query(() => DriveConnection, { description: 'Drives of every agent (or of one), by agent and drive name.' })
  drives(@Args('agent', { type: () => String, nullable: true, description: 'Agent name.' }) agent: string | null, @Args() page: PageArgs) {
    return this.agents.listDrives(agent, page);
  }

  @ResolveField(() => AgentModel)
  async agent(@Parent() drive: DriveModel): Promise<AgentModel> {
    return (await this.agents.findModelById(drive.agentId))!;
  }

  @ResolveField(() => ChangerModel, { nullable: true })
  changer(@Parent() drive: DriveModel): Promise<ChangerModel | null> | null {
    return drive.changerId ? this.agents.findChangerModel(drive.changerId) : null;
  }

  @ResolveField(() => TapeModel, { nullable: true })
  loadedTape(@Parent() drive: DriveModel): Promise<TapeModel | null> | null {
    return drive.loadedTapeId ? this.tapes.findModelById(drive.loadedTapeId) : null;
  }
}

@Resolver(() => ChangerModel)
export class ChangersResolver {
  constructor(private readonly agents: AgentsService) {}

  @ResolveField(() => [SlotModel])
  slots(@Parent() changer: ChangerModel): Promise<SlotModel[]> {
    return this.agents.slotsOf(changer);
  }
}
