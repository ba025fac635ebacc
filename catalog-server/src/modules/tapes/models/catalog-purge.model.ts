import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('CatalogPurge', {
  description: 'What one catalog purge removed: expired file versions no tape holds any more, and the contents and runs nothing refers to afterwards.',
})
export class CatalogPurgeModel {
  @Field(() => Int, { description: 'File versions that left the catalog.' })
  versions!: number;

  @Field(() => Int, { description: 'Contents (SHA-256) that left the catalog: no placement and no version referred to them any more.' })
  contents!: number;

  @Field(() => Int, { description: 'Runs that left the catalog whole.' })
  runs!: number;

  @Field(() => Int, { description: 'Version blocks rewritten without some of their versions (the others keep their ids).' })
  blocksRewritten!: number;

  @Field(() => Int, { description: 'Version blocks deleted (all their versions left).' })
  blocksDeleted!: number;

  @Field(() => Int, { description: 'Short transactions it took.' })
  batches!: number;

  @Field({ description: 'False when its time budget ran out or contents wait for ingest to pause: the rest follows within minutes by itself.' })
  complete!: boolean;
}
