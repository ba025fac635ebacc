import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { PoolModel } from './pool.model.js';
import { TapeStateValue } from './tape-state.enum.js';

@ObjectType('TapeLocation', {
  description: 'Where a tape is: in a slot of an agent\'s changer, in a drive, or (agent null) on a shelf.',
})
export class TapeLocationModel {
  @Field(() => String, { nullable: true, description: 'Name of the agent whose library holds the tape.' })
  agent!: string | null;

  @Field(() => String, { nullable: true })
  changer!: string | null;

  @Field(() => Int, { nullable: true, description: 'The slot it sits in or, while it is in a drive, the slot it came from.' })
  slot!: number | null;

  @Field(() => String, { nullable: true, description: 'Name of the drive the tape is loaded in.' })
  drive!: string | null;

  @Field({ description: 'True when no agent reports the tape.' })
  onShelf!: boolean;
}

// Byte counts are Float: exact up to 2^53 bytes (9 PB), far above any cartridge.
@ObjectType('Tape')
export class TapeModel {
  @Field(() => ID)
  id!: string;

  @Field()
  barcode!: string;

  @Field(() => Int)
  generation!: number;

  @Field(() => Float)
  capacityBytes!: number;

  @Field(() => Float)
  usedBytes!: number;

  @Field(() => Float)
  availableBytes!: number;

  @Field(() => TapeStateValue)
  state!: TapeStateValue;

  @Field(() => PoolModel, { nullable: true })
  pool!: PoolModel | null;

  @Field(() => TapeLocationModel)
  location!: TapeLocationModel;

  @Field(() => String, { nullable: true, description: 'UUID of the LTFS volume, once formatted.' })
  volumeUuid!: string | null;

  @Field()
  formatted!: boolean;

  @Field(() => Date, { nullable: true })
  formattedAt!: Date | null;

  @Field()
  writeProtected!: boolean;

  @Field()
  updatedAt!: Date;
}
