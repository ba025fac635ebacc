// Backup runs: creating, finishing and restoring them, their changes, and the base an incremental
// compares with. Builds on FilesModule (file versions), never the other way.
import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module.js';
import { IncrementalBaseService } from './incremental-base.service.js';
import { RunChangesRepository } from './run-changes.repository.js';
import { RunsRepository } from './runs.repository.js';
import { RunsResolver } from './runs.resolver.js';
import { RunsService } from './runs.service.js';

@Module({
  imports: [FilesModule],
  providers: [RunsRepository, RunChangesRepository, RunsService, RunsResolver, IncrementalBaseService],
  exports: [RunsService, IncrementalBaseService],
})
export class RunsModule {}
