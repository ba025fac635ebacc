// The file index: ingest of agent reports, search, restore selection; backup runs come with it.
// Needs the global DatabaseModule (PrismaService).
import { Module } from '@nestjs/common';
import { RunsModule } from '../runs/runs.module.js';
import { FileSearchRepository } from './file-search.repository.js';
import { FileSearchService } from './file-search.service.js';
import { FilesRepository } from './files.repository.js';
import { FileVersionConnectionResolver, FilesResolver } from './files.resolver.js';
import { FilesService } from './files.service.js';

@Module({
  imports: [RunsModule],
  providers: [FilesRepository, FileSearchRepository, FilesService, FileSearchService, FilesResolver, FileVersionConnectionResolver],
  exports: [FilesService],
})
export class FilesModule {}
