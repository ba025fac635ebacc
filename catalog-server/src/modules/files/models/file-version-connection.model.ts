// Relay connection over file versions. The validated query rides along (not exposed) so the
// opt-in totalCount field can count the same rows only when a client asks for it.
import { Field, ObjectType } from '@nestjs/graphql';
import type { FileSearchQuery } from '../file-search.repository.js';
import { FileVersionModel } from './file-version.model.js';
import { PageInfo } from '../../../common/pagination.js';

@ObjectType('FileVersionEdge')
export class FileVersionEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => FileVersionModel)
  node!: FileVersionModel;
}

@ObjectType('FileVersionConnection', { description: 'File versions in archive order (oldest first).' })
export class FileVersionConnection {
  @Field(() => [FileVersionEdge])
  edges!: FileVersionEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Not a GraphQL field: the query behind this page, for totalCount. */
  query!: FileSearchQuery;
}
