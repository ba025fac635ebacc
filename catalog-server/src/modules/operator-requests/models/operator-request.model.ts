import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum OperatorRequestStatusValue {
  OPEN = 'OPEN',
  SATISFIED = 'SATISFIED',
  CANCELLED = 'CANCELLED',
}

registerEnumType(OperatorRequestStatusValue, {
  name: 'OperatorRequestStatus',
  description: 'OPEN: a job waits for it. SATISFIED: an inventory found the tape. CANCELLED: the job ended without it.',
});

@ObjectType('OperatorRequest', { description: 'Something a person must do for a job to continue, e.g. insert a tape into a library.' })
export class OperatorRequestModel {
  @Field(() => ID)
  id!: string;

  @Field(() => OperatorRequestStatusValue)
  status!: OperatorRequestStatusValue;

  @Field({ description: 'What to do, e.g. "insert tape FER004L9 into library lib1 on host tape-02".' })
  message!: string;

  @Field(() => String, { nullable: true, description: 'The tape wanted; null when any writable tape of `pool` will do.' })
  barcode!: string | null;

  @Field(() => String, { nullable: true, description: 'For a backup waiting for its next tape: the pool a tape must belong to (or be scratch for).' })
  pool!: string | null;

  @Field(() => Int, { nullable: true, description: 'For a backup waiting for its next tape: the copy that waits.' })
  copy!: number | null;

  @Field({ description: 'Agent whose library must receive the tape.' })
  agent!: string;

  @Field()
  hostname!: string;

  @Field(() => String, { nullable: true })
  library!: string | null;

  @Field(() => ID, { description: 'The job that waits (QUEUED, or WAITING_FOR_TAPE for a next tape) for this request.' })
  jobId!: string;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  resolvedAt!: Date | null;
}
