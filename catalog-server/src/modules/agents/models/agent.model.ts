import { Field, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('Agent', { description: 'A machine with drives (or a library) that runs jobs for the catalog server.' })
export class AgentModel {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  hostname!: string;

  @Field()
  version!: string;

  @Field({ description: 'True while the agent beats; false after a few missed heartbeats.' })
  online!: boolean;

  @Field(() => Date, { nullable: true })
  lastSeenAt!: Date | null;

  @Field()
  registeredAt!: Date;

  @Field(() => [String], { description: 'Directories under which this agent accepts restore targets.' })
  allowedRestoreRoots!: string[];
}
