import { Field, ID, InputType } from '@nestjs/graphql';

@InputType({ description: 'What to restore: exactly one of fileIds, runId, or host + pathPrefix (optionally asOf).' })
export class RestoreSelectionInput {
  @Field(() => [ID], { nullable: true, description: 'File version ids (from `files`).' })
  fileIds?: string[];

  @Field(() => ID, { nullable: true, description: 'Every entry a backup run wrote.' })
  runId?: string;

  @Field({ nullable: true, description: 'Source host of the files (with pathPrefix).' })
  host?: string;

  @Field({ nullable: true, description: 'A directory (or file) path on that host; everything under it is restored.' })
  pathPrefix?: string;

  @Field({
    nullable: true,
    description:
      'With host + pathPrefix: restore the state as of a run id or an ISO 8601 instant (files deleted later included, files added later left out). Default: the newest version of each entry.',
  })
  asOf?: string;
}
