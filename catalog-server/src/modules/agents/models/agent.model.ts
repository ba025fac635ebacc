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

  @Field(() => [String], { description: 'Directories this agent backs up from (its own policy; empty when the agent is too old to say).' })
  allowedBackupRoots!: string[];

  @Field(() => Boolean, { nullable: true, description: 'Whether the agent formats tapes at all (its own policy); null when it is too old to say.' })
  allowFormat!: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Whether it formats tapes that hold a volume (formatTape with force); null when it is too old to say.',
  })
  allowForceFormat!: boolean | null;
}
