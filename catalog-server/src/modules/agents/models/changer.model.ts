import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('Slot')
export class SlotModel {
  @Field(() => Int)
  slot!: number;

  @Field(() => String, { nullable: true, description: 'Barcode of the cartridge in the slot; null when empty.' })
  barcode!: string | null;

  @Field({ description: 'An import/export (mail) slot.' })
  importExport!: boolean;
}

@ObjectType('Changer', { description: "A tape library's robot and its storage slots." })
export class ChangerModel {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  serial!: string;

  @Field(() => Int)
  slotCount!: number;

  // Resolved by ChangersResolver from the tapes whose home is a slot of this changer.
  agentId!: string;
}
