// GraphQL edge of the file index: `files` and `fileVersions`. Thin: each field calls one service
// method; FerriteErrors travel to the transport's error mapper untouched.
import { Args, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { FilesArgs, FileVersionsArgs } from './dto/files.args.js';
import { FileSearchService } from './file-search.service.js';
import { FileVersionConnection } from './models/file-version-connection.model.js';
import { FileVersionModel } from './models/file-version.model.js';

@Resolver(() => FileVersionModel)
export class FilesResolver {
  constructor(private readonly search: FileSearchService) {}

  @Query(() => FileVersionConnection, { description: 'Search the catalog. Pages are in archive order; pass pageInfo.endCursor as `after`.' })
  files(@Args() args: FilesArgs): Promise<FileVersionConnection> {
    return this.search.files(args.filter, args.first, args.after);
  }

  @Query(() => [FileVersionModel], { description: 'Every archived version of one path, newest first.' })
  fileVersions(@Args() args: FileVersionsArgs): Promise<FileVersionModel[]> {
    return this.search.fileVersions(args.host, args.path);
  }
}

@Resolver(() => FileVersionConnection)
export class FileVersionConnectionResolver {
  constructor(private readonly search: FileSearchService) {}

  @ResolveField(() => Int, { description: 'Number of matches of the whole query; costs a count, so ask only when needed.' })
  totalCount(@Parent() connection: FileVersionConnection): Promise<number> {
    return this.search.count(connection.query);
  }
}
