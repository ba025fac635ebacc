// GraphQL edge for agents.
import { Args, ObjectType, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Connection, PageArgs } from '../../common/pagination.js';
import { toAgentModel } from './agent.mapper.js';
import { AgentsService } from './agents.service.js';
import { AgentModel } from './models/agent.model.js';
import { ChangerModel } from './models/changer.model.js';
import { DriveModel } from './models/drive.model.js';
import { AgentErrors } from './agents.errors.js';
import { RequireRole, Role } from '../auth/roles.js';

@ObjectType()
export class AgentConnection extends Connection(AgentModel, 'Agent') {}

@Resolver(() => AgentModel)
export class AgentsResolver {
  constructor(private readonly agentsService: AgentsService) {}

  @RequireRole(Role.VIEWER)
  @Query(() => AgentConnection, { description: 'Registered agents, by name.' })
  agents(@Args() page: PageArgs) {
    return this.agentsService.list(page);
  }

  @RequireRole(Role.VIEWER)
  @Query(() => AgentModel, { nullable: true, description: 'One agent; an unknown name is an AGENT_NOT_FOUND error.' })
  async agent(@Args('name') name: string): Promise<AgentModel> {
    const row = await this.agentsService.findByName(name);
    if (!row) throw AgentErrors.notFound(name);
    return toAgentModel(row);
  }

  @ResolveField(() => [DriveModel])
  drives(@Parent() agent: AgentModel): Promise<DriveModel[]> {
    return this.agentsService.driveModelsOf(agent.id);
  }

  @ResolveField(() => [ChangerModel])
  changers(@Parent() agent: AgentModel): Promise<ChangerModel[]> {
    return this.agentsService.changersOf(agent.id);
  }
}
