import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';

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

  @Field()
  barcode!: string;

  @Field({ description: 'Agent whose library must receive the tape.' })
  agent!: string;

  @Field()
  hostname!: string;

  @Field(() => String, { nullable: true })
  library!: string | null;

  @Field(() => ID, { description: 'The job that waits (QUEUED) for this request.' })
  jobId!: string;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  resolvedAt!: Date | null;
}
