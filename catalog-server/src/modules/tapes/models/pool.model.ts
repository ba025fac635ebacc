import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('Pool', { description: 'A set of tapes that share a policy: generation, copies, retention, scratch source, dedup.' })
export class PoolModel {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => Int, { nullable: true, description: 'LTO generation its tapes must have; null for any.' })
  generation!: number | null;

  @Field(() => Int, { description: 'How many different tapes each file lands on (1..3).' })
  copies!: number;

  @Field(() => Int, { nullable: true, description: 'Keep runs at least this many days; null: no age limit.' })
  retentionDays!: number | null;

  @Field(() => Int, { nullable: true, description: 'Keep at least this many newest runs; null: no count limit.' })
  retentionRuns!: number | null;

  @Field({ description: 'Whether content already in the pool is written again (false) or referenced (true).' })
  dedup!: boolean;

  /** Resolved to the scratch pool's name by PoolsResolver.scratchPool. */
  scratchPoolId!: string | null;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}
