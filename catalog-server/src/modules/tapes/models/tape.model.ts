import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { PoolModel } from './pool.model.js';
import { TapeStateValue } from './tape-state.enum.js';

@ObjectType('TapeLocation', {
  description: "Where a tape is: in a slot of an agent's changer, in a drive, or (agent null) on a shelf.",
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

  @Field({ description: 'True when the tape is marked offsite (see offsiteLocation).' })
  offsite!: boolean;

  @Field(() => String, { nullable: true, description: 'Where an offsite tape is kept, as recorded by markOffsite.' })
  offsiteLocation!: string | null;
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

  @Field(() => Date, { nullable: true, description: 'When retention last returned the tape to scratch (everything on it had expired).' })
  recycledAt!: Date | null;

  @Field({
    description: 'Recycled, and its volume still holds the expired runs: no backup takes it until the format retention queued gives it a new volume.',
  })
  reformatPending!: boolean;

  @Field()
  writeProtected!: boolean;

  @Field({ description: 'Write Once Read Many media: never reformatted.' })
  worm!: boolean;

  @Field({ description: 'A cleaning cartridge (CLN barcode): cleans drives, holds no data.' })
  cleaning!: boolean;

  @Field(() => [String], { description: 'TapeAlert flags reported while the tape was last in a drive (e.g. MEDIA, CLEAN_NOW).' })
  alerts!: string[];

  @Field(() => Date, { nullable: true, description: 'When the volume was last checked (checkTape).' })
  lastCheckedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Outcome of the last check: CONSISTENT, NEEDS_REPAIR, REPAIRED, ROLLED_BACK or FAILED, with details.' })
  lastCheckResult!: string | null;

  @Field(() => Date, { nullable: true, description: 'When a verify job (startVerify) last finished reading this tape.' })
  lastVerifiedAt!: Date | null;

  @Field(() => String, {
    nullable: true,
    description: 'What that verify found: objects read back and how many did not match their SHA-256 or could not be read.',
  })
  lastVerifyResult!: string | null;

  @Field()
  updatedAt!: Date;
}
