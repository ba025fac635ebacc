// Arguments of the `files` and `fileVersions` queries.
import { ArgsType, Field, Int } from '@nestjs/graphql';
import { FileFilterInput } from './file-filter.input.js';

@ArgsType()
export class FilesArgs {
  @Field(() => FileFilterInput, { nullable: true })
  filter?: FileFilterInput | null;

  @Field(() => Int, { nullable: true, defaultValue: 50, description: 'Page size, 1..1000.' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page (same filter).' })
  after?: string | null;
}

@ArgsType()
export class DirectoryArgs {
  @Field(() => String)
  host!: string;

  @Field(() => String, { description: 'Absolute path of the directory.' })
  path!: string;

  @Field(() => String, {
    nullable: true,
    description: 'A run id (the state that run saw) or an ISO 8601 instant (the newest successful run of each source root finished by then). Default: now.',
  })
  asOf?: string | null;

  @Field(() => Int, { nullable: true, defaultValue: 200, description: 'Page size, 1..1000.' })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

@ArgsType()
export class FileVersionsArgs {
  @Field(() => String)
  host!: string;

  @Field(() => String, { description: 'Absolute path of the entry.' })
  path!: string;
}
