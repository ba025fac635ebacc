// GraphQL edge of the file index: `files` and `fileVersions`. Thin: each field calls one service
// method; FerriteErrors travel to the transport's error mapper untouched.
import { Args, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { DirectoryArgs, FilesArgs, FileVersionsArgs } from './dto/files.args.js';
import { DirectoryListing } from './models/directory-listing.model.js';
import { PointInTimeService } from './point-in-time.service.js';
import { TapeLossImpactModel } from './models/tape-loss-impact.model.js';
import { FileSearchService } from './file-search.service.js';
import { FileVersionConnection } from './models/file-version-connection.model.js';
import { FileVersionModel } from './models/file-version.model.js';
import { RequireRole, Role } from '../auth/roles.js';

@Resolver(() => FileVersionModel)
export class FilesResolver {
  constructor(
    private readonly search: FileSearchService,
    private readonly pointInTime: PointInTimeService,
  ) {}

  @RequireRole(Role.VIEWER)
  @Query(() => DirectoryListing, { description: 'A directory as it was at a point in time: entries deleted by then left out, entries added later left out.' })
  directory(@Args() args: DirectoryArgs): Promise<DirectoryListing> {
    return this.pointInTime.directory(args.host, args.path, args.asOf, args.first, args.after);
  }

  @RequireRole(Role.VIEWER)
  @Query(() => FileVersionConnection, { description: 'Search the catalog. Pages are in archive order; pass pageInfo.endCursor as `after`.' })
  files(@Args() args: FilesArgs): Promise<FileVersionConnection> {
    return this.search.files(args.filter, args.first, args.after);
  }

  @RequireRole(Role.VIEWER)
  @Query(() => TapeLossImpactModel, { description: 'What would be lost if this tape died: contents with no other usable copy.' })
  tapeLossImpact(
    @Args('barcode', { type: () => String }) barcode: string,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 50, description: 'How many affected file versions to list, 1..1000.' }) first: number,
  ): Promise<TapeLossImpactModel> {
    return this.search.tapeLossImpact(barcode, first);
  }

  @RequireRole(Role.VIEWER)
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
