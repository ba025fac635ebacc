import { Field, InputType } from '@nestjs/graphql';
import { TapeStateValue } from '../models/tape-state.enum.js';

@InputType()
export class TapeFilterInput {
  @Field(() => TapeStateValue, { nullable: true })
  state?: TapeStateValue | null;

  @Field(() => String, { nullable: true, description: 'Agent name: tapes in its library or drives.' })
  agent?: string | null;

  @Field(() => String, { nullable: true, description: 'Pool name.' })
  pool?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only tapes no verify job has read since this instant (never verified included): what to verify next.' })
  notVerifiedSince?: Date | null;
}
