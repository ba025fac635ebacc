import { Field, ID, InputType } from '@nestjs/graphql';

@InputType({ description: 'What to restore: exactly one of fileIds, runId, or host + pathPrefix.' })
export class RestoreSelectionInput {
  @Field(() => [ID], { nullable: true, description: 'File version ids (from `files`).' })
  fileIds?: string[];

  @Field(() => ID, { nullable: true, description: 'Every entry a backup run wrote.' })
  runId?: string;

  @Field({ nullable: true, description: 'Source host of the files (with pathPrefix).' })
  host?: string;

  @Field({ nullable: true, description: 'A directory (or file) path on that host; everything under it is restored.' })
  pathPrefix?: string;
}
