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
export class FileVersionsArgs {
  @Field(() => String)
  host!: string;

  @Field(() => String, { description: 'Absolute path of the entry.' })
  path!: string;
}
