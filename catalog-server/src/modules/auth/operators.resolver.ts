// GraphQL edge for operators and API tokens: who may use the API, and the tokens they use it with.
import { Args, Context, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ApiTokenModel, CreateApiTokenInput, CreatedApiTokenModel, CreateOperatorInput, OperatorModel } from './models/operator.model.js';
import { OperatorsService } from './operators.service.js';
import type { AuthContext } from './roles.guard.js';
import { RequireRole, Role } from './roles.js';

@Resolver(() => OperatorModel)
export class OperatorsResolver {
  constructor(private readonly service: OperatorsService) {}

  @RequireRole(Role.VIEWER)
  @Query(() => OperatorModel, { description: 'The operator the request acts as (its token).' })
  me(@Context() ctx: AuthContext): Promise<OperatorModel> {
    return this.service.me(ctx.principal!);
  }

  @RequireRole(Role.ADMIN)
  @Query(() => [OperatorModel])
  operators(): Promise<OperatorModel[]> {
    return this.service.listOperators();
  }

  @RequireRole(Role.ADMIN)
  @Query(() => [ApiTokenModel], { description: "API tokens, newest first: one operator's, or everyone's." })
  apiTokens(@Args('operator', { type: () => String, nullable: true }) operator: string | null): Promise<ApiTokenModel[]> {
    return this.service.listTokens(operator ?? null);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => OperatorModel)
  createOperator(@Args('input') input: CreateOperatorInput): Promise<OperatorModel> {
    return this.service.createOperator(input);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => OperatorModel, { description: 'Refused (LAST_ADMIN) for the last enabled admin.' })
  setOperatorRole(@Args('name') name: string, @Args('role', { type: () => Role }) role: Role): Promise<OperatorModel> {
    return this.service.setRole(name, role);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => OperatorModel, {
    description: 'A disabled operator keeps its history; none of its tokens is accepted. Refused (LAST_ADMIN) for the last enabled admin.',
  })
  disableOperator(@Args('name') name: string): Promise<OperatorModel> {
    return this.service.setDisabled(name, true);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => OperatorModel)
  enableOperator(@Args('name') name: string): Promise<OperatorModel> {
    return this.service.setDisabled(name, false);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => CreatedApiTokenModel, { description: 'A new token for an operator; its secret is in the answer and nowhere else.' })
  createApiToken(@Args('input') input: CreateApiTokenInput): Promise<CreatedApiTokenModel> {
    return this.service.createToken(input);
  }

  @RequireRole(Role.VIEWER)
  @Mutation(() => ApiTokenModel, { description: "Ends a token at once. Anyone may revoke their own; another operator's needs ADMIN." })
  revokeApiToken(@Args('id', { type: () => ID }) id: string, @Context() ctx: AuthContext): Promise<ApiTokenModel> {
    return this.service.revokeToken(id, ctx.principal!);
  }
}
