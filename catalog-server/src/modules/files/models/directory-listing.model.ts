// One page of a directory as it was at a point in time (`directory(host, path, asOf)`).
import { Field, ObjectType } from '@nestjs/graphql';
import { PageInfo } from '../../../common/pagination.js';
import { FileVersionEdge } from './file-version-connection.model.js';

@ObjectType('DirectoryListing', { description: 'Entries of one directory at a point in time, by name.' })
export class DirectoryListing {
  @Field(() => String)
  host!: string;

  @Field(() => String)
  path!: string;

  @Field(() => [FileVersionEdge], { description: 'The version of each entry that was current then (deleted entries left out).' })
  edges!: FileVersionEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
