import { Module } from '@nestjs/common';
import { PoolsRepository } from './pools.repository.js';
import { PoolsResolver } from './pools.resolver.js';
import { PoolsService } from './pools.service.js';
import { TapesRepository } from './tapes.repository.js';
import { TapesResolver } from './tapes.resolver.js';
import { TapesService } from './tapes.service.js';

@Module({
  providers: [TapesRepository, TapesService, TapesResolver, PoolsRepository, PoolsService, PoolsResolver],
  exports: [TapesService, PoolsService],
})
export class TapesModule {}
