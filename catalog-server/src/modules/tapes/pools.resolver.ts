// GraphQL edge for pools.
import { Args, Mutation, ObjectType, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Connection, PageArgs } from '../../common/pagination.js';
import { CreatePoolInput, UpdatePoolInput } from './dto/pool.input.js';
import { PoolModel } from './models/pool.model.js';
import { RecycledTapeModel } from './models/recycled-tape.model.js';
import { CatalogPurgeModel } from './models/catalog-purge.model.js';
import { CatalogPurgeService } from './catalog-purge.service.js';
import { PoolRetentionService } from './pool-retention.service.js';
import { PoolsService } from './pools.service.js';
import { RequireRole, Role } from '../auth/roles.js';

@ObjectType()
export class PoolConnection extends Connection(PoolModel, 'Pool') {}

@Resolver(() => PoolModel)
export class PoolsResolver {
  constructor(
    private readonly poolsService: PoolsService,
    private readonly retention: PoolRetentionService,
    private readonly catalogPurge: CatalogPurgeService,
  ) {}

  @RequireRole(Role.VIEWER)
  @Query(() => PoolConnection)
  pools(@Args() page: PageArgs) {
    return this.poolsService.list(page);
  }

  @ResolveField(() => String, { nullable: true, description: 'Name of the pool new tapes are drawn from.' })
  scratchPool(@Parent() pool: PoolModel): Promise<string | null> {
    return this.poolsService.nameOf(pool.scratchPoolId);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => PoolModel)
  createPool(@Args('input') input: CreatePoolInput): Promise<PoolModel> {
    return this.poolsService.create(input);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => PoolModel, { description: 'Changes the given settings; POOL_NOT_FOUND, INVALID_POOL.' })
  updatePool(@Args('name') name: string, @Args('input') input: UpdatePoolInput): Promise<PoolModel> {
    return this.poolsService.update(name, input);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => [RecycledTapeModel], {
    description:
      'Runs a retention pass now (it also runs every 15 minutes): tapes whose contents have all expired return to scratch, then the catalog purge runs (see purgeCatalog).',
  })
  applyRetention(): Promise<RecycledTapeModel[]> {
    return this.retention.apply();
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => CatalogPurgeModel, {
    description:
      'Runs the catalog purge now (it also runs after every retention pass): expired file versions whose content no tape holds any more leave the catalog, in short batches, with the contents and runs nothing refers to afterwards. Says how many left.',
  })
  purgeCatalog(): Promise<CatalogPurgeModel> {
    return this.catalogPurge.purge();
  }
}
