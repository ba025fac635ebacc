// GraphQL edge for pools.
import { Args, Int, Mutation, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { Connection, PageArgs } from '../../common/pagination.js';
import { PoolModel } from './models/pool.model.js';
import { PoolsService } from './pools.service.js';

@ObjectType()
export class PoolConnection extends Connection(PoolModel, 'Pool') {}

@Resolver(() => PoolModel)
export class PoolsResolver {
  constructor(private readonly poolsService: PoolsService) {}

  @Query(() => PoolConnection)
  pools(@Args() page: PageArgs) {
    return this.poolsService.list(page);
  }

  @Mutation(() => PoolModel)
  createPool(
    @Args('name') name: string,
    @Args('generation', { type: () => Int, nullable: true }) generation: number | null,
    @Args('copies', { type: () => Int, nullable: true, defaultValue: 1 }) copies: number,
    @Args('retentionDays', { type: () => Int, nullable: true }) retentionDays: number | null,
  ): Promise<PoolModel> {
    return this.poolsService.create({ name, generation, copies, retentionDays });
  }
}
