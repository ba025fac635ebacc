import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { DriveBackendValue, DriveStateValue } from './drive-enums.js';

@ObjectType('Drive')
export class DriveModel {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Name of the drive on its agent, e.g. drive0.' })
  name!: string;

  @Field()
  serial!: string;

  @Field()
  vendor!: string;

  @Field()
  model!: string;

  @Field(() => Int, { description: 'LTO generation of the drive.' })
  generation!: number;

  @Field(() => DriveBackendValue)
  backend!: DriveBackendValue;

  @Field(() => DriveStateValue)
  state!: DriveStateValue;

  @Field(() => [String], { description: 'Active TapeAlert flags the drive reported last (CLEAN_NOW: load a cleaning cartridge, see cleanDrive).' })
  alerts!: string[];

  @Field(() => Int, { nullable: true, description: 'Index of the drive inside its changer.' })
  changerDriveIndex!: number | null;

  // Resolved by DrivesResolver (agent, changer, loadedTape).
  agentId!: string;
  changerId!: string | null;
  loadedTapeId!: string | null;
}
