import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module.js';
import { PoolRetentionRepository } from './pool-retention.repository.js';
import { PoolRetentionService } from './pool-retention.service.js';
import { CatalogPurgeService } from './catalog-purge.service.js';
import { PoolsRepository } from './pools.repository.js';
import { PoolsResolver } from './pools.resolver.js';
import { PoolsService } from './pools.service.js';
import { TapesRepository } from './tapes.repository.js';
import { TapesResolver } from './tapes.resolver.js';
import { TapesService } from './tapes.service.js';

@Module({
  // Recycling a tape removes its placements, which the files repository owns, and the catalog
  // purge removes what no tape holds any more (the files module's CatalogPurgeRepository).
  imports: [FilesModule],
  providers: [
    TapesRepository,
    TapesService,
    TapesResolver,
    PoolsRepository,
    PoolsService,
    PoolsResolver,
    PoolRetentionRepository,
    PoolRetentionService,
    CatalogPurgeService,
  ],
  // The repository too: jobs update tapes inside their own transactions (job events, dispatch).
  // The retention service: the jobs module queues the formats of the tapes it recycles.
  exports: [TapesService, PoolsService, TapesRepository, PoolRetentionService],
})
export class TapesModule {}
