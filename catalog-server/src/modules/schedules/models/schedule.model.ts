import { Field, ID, ObjectType } from '@nestjs/graphql';
import { BackupLevelValue } from '../../jobs/lifecycle/models/job-enums.js';

@ObjectType('ScheduleFiring', { description: 'One instant at which a schedule fired, and what came of it.' })
export class ScheduleFiringModel {
  @Field({ description: 'The cron instant (not the moment the timer ran).' })
  fireTime!: Date;

  @Field(() => ID, { nullable: true, description: 'The backup job it started; null when it could not start one (see errorCode).' })
  jobId!: string | null;

  @Field(() => String, { nullable: true, description: 'Why no job was started, e.g. AGENT_NOT_FOUND or TAPE_NOT_WRITABLE.' })
  errorCode!: string | null;

  @Field(() => String, { nullable: true })
  errorMessage!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'What became of the started job at firing time, e.g. "queued: no scratch tape in pool weekly on agent host-a" (the job waits for a tape).',
  })
  note!: string | null;

  @Field({ description: 'Which server process fired it.' })
  claimedBy!: string;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;
}

@ObjectType('Schedule', { description: 'A recurring backup, fired centrally by the catalog server.' })
export class ScheduleModel {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'Cron expression: five fields (minute hour day-of-month month day-of-week), six with seconds first, or an alias.' })
  cron!: string;

  @Field({ description: 'IANA time zone the cron expression is read in, e.g. Europe/Berlin.' })
  timeZone!: string;

  @Field({ description: 'Name of the agent whose files are backed up.' })
  agent!: string;

  @Field(() => [String])
  paths!: string[];

  @Field(() => [String])
  excludes!: string[];

  @Field(() => String, { nullable: true, description: "Pool the backups go to; null: any writable tape in the agent's library." })
  pool!: string | null;

  @Field(() => BackupLevelValue)
  level!: BackupLevelValue;

  @Field({ description: 'False while paused.' })
  enabled!: boolean;

  @Field(() => Date, { nullable: true, description: 'The latest instant it fired at (on any server replica).' })
  lastFiredAt!: Date | null;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}
