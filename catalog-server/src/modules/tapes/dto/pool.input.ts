import { Field, InputType, Int } from '@nestjs/graphql';

@InputType()
export class CreatePoolInput {
  @Field({ description: 'Unique name: up to 64 letters, digits, ".", "_" or "-".' })
  name!: string;

  @Field(() => Int, { nullable: true, description: 'LTO generation (1..10) its tapes must have; omit for any.' })
  generation?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 1, description: '1..3, and no more than the drives that can write this generation.' })
  copies?: number | null;

  @Field(() => Int, { nullable: true })
  retentionDays?: number | null;

  @Field(() => Int, { nullable: true })
  retentionRuns?: number | null;

  @Field(() => String, { nullable: true, description: 'Name of the pool new tapes are drawn from.' })
  scratchPool?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false })
  dedup?: boolean | null;
}

/** Every field optional: what is left out stays as it is; null clears a nullable setting. */
@InputType()
export class UpdatePoolInput {
  @Field(() => Int, { nullable: true })
  generation?: number | null;

  @Field(() => Int, { nullable: true })
  copies?: number | null;

  @Field(() => Int, { nullable: true })
  retentionDays?: number | null;

  @Field(() => Int, { nullable: true })
  retentionRuns?: number | null;

  @Field(() => String, { nullable: true })
  scratchPool?: string | null;

  @Field(() => Boolean, { nullable: true })
  dedup?: boolean | null;
}
