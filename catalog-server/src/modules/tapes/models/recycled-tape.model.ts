import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('RecycledTape', { description: 'A tape retention returned to scratch.' })
export class RecycledTapeModel {
  @Field()
  barcode!: string;

  @Field({ description: 'The pool whose retention expired everything on it.' })
  pool!: string;

  @Field(() => String, { nullable: true, description: 'The pool it is in now (the scratch pool, when one is set).' })
  toPool!: string | null;

  @Field(() => Int, { description: 'Catalog placements removed with it (all expired).' })
  placementsRemoved!: number;
}
