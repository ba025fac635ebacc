// The file index: ingest of agent reports, search, restore selection. Backup runs are RunsModule's,
// which builds on this one (run changes and incremental bases read file versions).
// Needs the global DatabaseModule (PrismaService).
import { Module } from '@nestjs/common';
import { FileSearchRepository } from './file-search.repository.js';
import { FileSearchService } from './file-search.service.js';
import { FilesRepository } from './files.repository.js';
import { CatalogPurgeRepository } from './catalog-purge.repository.js';
import { FileVersionConnectionResolver, FilesResolver } from './files.resolver.js';
import { FilesService } from './files.service.js';
import { IncrementalBaseRepository } from './incremental-base.repository.js';
import { PointInTimeRepository } from './point-in-time.repository.js';
import { PointInTimeService } from './point-in-time.service.js';
import { RestorePlanStore } from './restore-plan.store.js';
import { RestorePlanWriter } from './restore-plan.writer.js';
import { TapeAvailabilityRepository } from './tape-availability.repository.js';
import { VerifyPlanRepository } from './verify-plan.repository.js';
import { TapeLossRepository } from './tape-loss.repository.js';

@Module({
  providers: [
    FilesRepository,
    FileSearchRepository,
    FilesService,
    FileSearchService,
    FilesResolver,
    FileVersionConnectionResolver,
    IncrementalBaseRepository,
    PointInTimeRepository,
    PointInTimeService,
    TapeLossRepository,
    TapeAvailabilityRepository,
    VerifyPlanRepository,
    RestorePlanStore,
    RestorePlanWriter,
    CatalogPurgeRepository,
  ],
  // FilesRepository too: a job event that reformats a tape removes its placements in its own transaction.
  // CatalogPurgeRepository: the tapes module's catalog purge (after retention) removes what no tape holds.
  exports: [FilesService, IncrementalBaseRepository, FilesRepository, CatalogPurgeRepository],
})
export class FilesModule {}
