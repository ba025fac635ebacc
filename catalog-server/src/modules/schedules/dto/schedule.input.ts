import { Field, InputType } from '@nestjs/graphql';
import { BackupLevelValue } from '../../jobs/lifecycle/models/job-enums.js';

@InputType()
export class CreateScheduleInput {
  @Field({ description: 'Unique name: up to 64 letters, digits, ".", "_" or "-".' })
  name!: string;

  @Field({ description: 'e.g. "30 2 * * *" (daily 02:30) or "0 3 * * SUN" (Sundays 03:00).' })
  cron!: string;

  @Field(() => String, { nullable: true, defaultValue: 'UTC', description: 'IANA time zone the expression is read in (default UTC).' })
  timeZone?: string | null;

  @Field({ description: 'Name of the agent whose files are backed up.' })
  agent!: string;

  @Field(() => [String], { description: "Absolute paths on the agent's host." })
  paths!: string[];

  @Field(() => [String], { nullable: true, defaultValue: [], description: 'Glob patterns of paths to leave out.' })
  excludes?: string[] | null;

  @Field(() => String, { nullable: true, description: 'Pool the backups go to.' })
  pool?: string | null;

  @Field(() => BackupLevelValue, { nullable: true, defaultValue: BackupLevelValue.FULL })
  level?: BackupLevelValue | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true, description: 'False creates it paused.' })
  enabled?: boolean | null;
}

/** Every field optional: what is left out stays as it is. `pool: null` removes the pool. */
@InputType()
export class UpdateScheduleInput {
  @Field(() => String, { nullable: true })
  cron?: string | null;

  @Field(() => String, { nullable: true })
  timeZone?: string | null;

  @Field(() => String, { nullable: true })
  agent?: string | null;

  @Field(() => [String], { nullable: true })
  paths?: string[] | null;

  @Field(() => [String], { nullable: true })
  excludes?: string[] | null;

  @Field(() => String, { nullable: true })
  pool?: string | null;

  @Field(() => BackupLevelValue, { nullable: true })
  level?: BackupLevelValue | null;
}
