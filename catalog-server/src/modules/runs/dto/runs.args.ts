// Arguments of the `runs` query.
import { ArgsType, Field, Int } from '@nestjs/graphql';

@ArgsType()
export class RunsArgs {
  @Field(() => String, { nullable: true, description: 'Only runs of this host.' })
  host?: string | null;

  @Field(() => Int, { nullable: true, defaultValue: 50, description: 'Page size, 1..1000.' })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}
