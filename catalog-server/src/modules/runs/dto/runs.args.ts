// Arguments of the `runs` query.
import { ArgsType, Field, ID, Int } from '@nestjs/graphql';
import { ChangeKindValue } from '../models/run-change.model.js';

@ArgsType()
export class RunsArgs {
  @Field(() => String, { nullable: true, description: 'Only runs of this host.' })
  host?: string | null;

  @Field(() => Int, { nullable: true, defaultValue: 50, description: 'Page size, 1..1000.' })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

@ArgsType()
export class RunChangesArgs {
  @Field(() => ID)
  runId!: string;

  @Field(() => [ChangeKindValue], { nullable: true, description: 'Kinds to list (default ADDED, MODIFIED, DELETED).' })
  kinds?: ChangeKindValue[] | null;

  @Field(() => Int, { nullable: true, defaultValue: 100, description: 'Page size, 1..1000.' })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}
