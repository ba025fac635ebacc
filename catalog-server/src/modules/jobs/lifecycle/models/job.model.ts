import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { JobKindValue, JobStatusValue } from './job-enums.js';

@ObjectType('JobProgress')
export class JobProgressModel {
  @Field(() => Float)
  bytesDone!: number;

  @Field(() => Float)
  bytesTotal!: number;

  @Field(() => Float)
  filesDone!: number;

  @Field(() => Float)
  filesTotal!: number;

  @Field(() => Float, { description: 'Entries that could not be restored, read or verified so far (each is in failedFiles).' })
  filesFailed!: number;

  @Field(() => String, { nullable: true })
  currentFile!: string | null;

  @Field(() => String, { nullable: true })
  currentTape!: string | null;

  @Field(() => Float, { nullable: true, description: 'Average bytes per second since the job started.' })
  ratePerSecond!: number | null;

  @Field(() => Float, { nullable: true, description: 'Percent done (by bytes when the total is known, else by files).' })
  percentDone!: number | null;

  @Field(() => Float, { nullable: true, description: 'Estimated seconds left at the average rate; null until there is a rate and a byte total.' })
  etaSeconds!: number | null;

  @Field({ description: 'When the server received this snapshot.' })
  updatedAt!: Date;
}

@ObjectType('JobEvent', { description: "One line of a job's log." })
export class JobEventModel {
  @Field(() => Int)
  attempt!: number;

  @Field(() => Float, { description: 'Agent lines count 1, 2, 3... per attempt; server lines are negative.' })
  seq!: number;

  @Field({
    description:
      'ACKNOWLEDGED, STARTED, PROGRESS, TAPE_CHANGED, COMPLETED, FAILED, CANCELLED, LOG (agent); ASSIGNED, CANCEL_REQUESTED, INTERRUPTED, REQUEUED (server).',
  })
  type!: string;

  @Field({ description: 'AGENT or SERVER' })
  source!: string;

  @Field()
  level!: string;

  @Field()
  message!: string;

  @Field(() => String, { nullable: true })
  errorCode!: string | null;

  @Field(() => String, { nullable: true, description: 'The file the line is about (a file that could not be restored, read or verified).' })
  path!: string | null;

  @Field()
  at!: Date;
}

@ObjectType('Job')
export class JobModel {
  @Field(() => ID)
  id!: string;

  @Field(() => JobKindValue)
  kind!: JobKindValue;

  @Field(() => JobStatusValue)
  status!: JobStatusValue;

  @Field({ description: 'One line saying what the job does.' })
  summary!: string;

  @Field(() => [String], { description: 'Barcodes the job works on, in order.' })
  tapes!: string[];

  @Field(() => String, { nullable: true, description: 'Why a QUEUED job is not running yet, or what a WAITING_FOR_TAPE backup waits for.' })
  queueReason!: string | null;

  @Field({ description: 'An operator asked to cancel; the agent is stopping the job.' })
  cancelRequested!: boolean;

  @Field(() => Int)
  attempt!: number;

  @Field(() => Int)
  priority!: number;

  @Field(() => JobProgressModel, { nullable: true })
  progress!: JobProgressModel | null;

  @Field(() => String, { nullable: true })
  errorCode!: string | null;

  @Field(() => String, { nullable: true })
  errorMessage!: string | null;

  @Field(() => String, { nullable: true })
  idempotencyKey!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  @Field()
  updatedAt!: Date;

  // Resolved by JobsResolver (agent, drive, events).
  agentId!: string | null;
  driveId!: string | null;
}
