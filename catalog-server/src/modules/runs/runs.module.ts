// Backup runs (FilesModule imports it; FilesService delegates run bookkeeping here).
import { Module } from '@nestjs/common';
import { RunChangesRepository } from './run-changes.repository.js';
import { RunsRepository } from './runs.repository.js';
import { RunsResolver } from './runs.resolver.js';
import { RunsService } from './runs.service.js';

@Module({
  providers: [RunsRepository, RunChangesRepository, RunsService, RunsResolver],
  exports: [RunsService],
})
export class RunsModule {}
