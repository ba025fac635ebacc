// The file index: ingest of agent reports, search, restore selection; backup runs come with it.
// Needs the global DatabaseModule (PrismaService).
import { Module } from '@nestjs/common';
import { RunsModule } from '../runs/runs.module.js';
import { FileSearchRepository } from './file-search.repository.js';
import { FileSearchService } from './file-search.service.js';
import { FilesRepository } from './files.repository.js';
import { FileVersionConnectionResolver, FilesResolver } from './files.resolver.js';
import { FilesService } from './files.service.js';
import { IncrementalBaseRepository } from './incremental-base.repository.js';
import { IncrementalBaseService } from './incremental-base.service.js';
import { PointInTimeRepository } from './point-in-time.repository.js';
import { PointInTimeService } from './point-in-time.service.js';
import { TapeAvailabilityRepository } from './tape-availability.repository.js';
import { VerifyPlanRepository } from './verify-plan.repository.js';
import { TapeLossRepository } from './tape-loss.repository.js';

@Module({
  imports: [RunsModule],
  providers: [
    FilesRepository,
    FileSearchRepository,
    FilesService,
    FileSearchService,
    FilesResolver,
    FileVersionConnectionResolver,
    IncrementalBaseRepository,
    IncrementalBaseService,
    PointInTimeRepository,
    PointInTimeService,
    TapeLossRepository,
    TapeAvailabilityRepository,
    VerifyPlanRepository,
  ],
  exports: [FilesService, IncrementalBaseService],
})
export class FilesModule {}
