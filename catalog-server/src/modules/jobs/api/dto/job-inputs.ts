import { Field, InputType, Int } from '@nestjs/graphql';
import { RestoreSelectionInput } from '../../../files/dto/restore-selection.input.js';
import { BackupLevelValue, JobKindValue, JobStatusValue, OnChangeValue } from '../../lifecycle/models/job-enums.js';

@InputType()
export class JobFilterInput {
  @Field(() => [JobStatusValue], { nullable: true, description: 'Any of these statuses (a single value works too).' })
  status?: JobStatusValue[] | null;

  @Field(() => [JobKindValue], { nullable: true })
  kind?: JobKindValue[] | null;

  @Field(() => String, { nullable: true, description: 'Agent name.' })
  agent?: string | null;
}

@InputType()
export class StartBackupInput {
  @Field({ description: 'Name of the agent whose files are backed up (and whose library takes the tape).' })
  agent!: string;

  @Field(() => [String], { description: "Absolute paths on the agent's host." })
  paths!: string[];

  @Field(() => [String], { nullable: true, defaultValue: [], description: 'Glob patterns of paths to leave out.' })
  excludes?: string[] | null;

  @Field(() => String, {
    nullable: true,
    description:
      "Barcode of the tape to write; chosen from the agent's library when omitted. A tape in no library is asked for (operator request) and the job waits.",
  })
  tape?: string | null;

  @Field(() => String, { nullable: true, description: 'Pool the tape must belong to (or join, if scratch).' })
  pool?: string | null;

  @Field(() => BackupLevelValue, { nullable: true, defaultValue: BackupLevelValue.FULL })
  level?: BackupLevelValue | null;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: 'Incremental runs: also hash files whose time changed but size did not, and skip writing those whose content is unchanged.',
  })
  compareContent?: boolean | null;

  @Field(() => OnChangeValue, {
    nullable: true,
    defaultValue: OnChangeValue.RETRY,
    description: 'What to do with a file that changed while it was read (see OnChange). A plan (planBackup) ignores it.',
  })
  onChange?: OnChangeValue | null;

  @Field(() => String, { nullable: true, description: 'Repeating a request with the same key returns the first job instead of a second.' })
  idempotencyKey?: string | null;

  @Field(() => Int, { nullable: true, description: 'Queue priority 0-1000, higher first (default 10; restores default to 100).' })
  priority?: number | null;
}

@InputType()
export class StartRestoreInput {
  @Field(() => RestoreSelectionInput)
  selection!: RestoreSelectionInput;

  @Field(() => String, {
    nullable: true,
    description:
      'Name of the agent that restores. By default the one whose library holds a complete copy of the most selected files, then the one that wrote them. Each file is read from a copy that agent can load (in its library, else on a shelf, to be inserted there).',
  })
  agent?: string | null;

  @Field({ description: "Absolute directory on the agent's host, under one of its allowed restore roots." })
  targetDirectory!: string;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Replace files that already exist.' })
  overwrite?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description: 'Leading path removed from each restored path (default: none, the full original path is recreated under the target).',
  })
  stripPrefix?: string | null;

  @Field(() => Int, { nullable: true, description: 'Queue priority 0-1000, higher first (default 100: restores go ahead of backups).' })
  priority?: number | null;
}

@InputType()
export class StartVerifyInput {
  @Field(() => String, { nullable: true, description: 'Verify every object the catalog records on this tape (give this or runId).' })
  tape?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Verify every copy, on every tape that is not RETIRED, of the file data this run recorded (give this or tape).',
  })
  runId?: string | null;

  @Field(() => String, { nullable: true, description: 'Agent whose drive reads the tapes; by default the one whose library holds them (or held them last).' })
  agent?: string | null;

  @Field(() => Int, { nullable: true, description: 'Queue priority 0-1000, higher first (default 5: after backups).' })
  priority?: number | null;
}

@InputType()
export class RebuildCatalogInput {
  @Field({ description: 'Barcode of the tape whose manifests are read back into the catalog.' })
  tape!: string;

  @Field(() => String, { nullable: true, description: 'Agent whose drive reads it; by default the one whose library holds it (or held it last).' })
  agent?: string | null;
}
