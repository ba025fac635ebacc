import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('Pool', { description: 'A set of tapes that share a policy (generation, copies, retention).' })
export class PoolModel {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => Int, { nullable: true, description: 'LTO generation its tapes must have; null for any.' })
  generation!: number | null;

  @Field(() => Int)
  copies!: number;

  @Field(() => Int, { nullable: true })
  retentionDays!: number | null;

  @Field()
  createdAt!: Date;
}
