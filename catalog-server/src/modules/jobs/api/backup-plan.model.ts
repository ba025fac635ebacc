// GraphQL shape of planBackup's answer (odarchive's "plan media"): what the sources hold, what the
// backup would write, the tapes it needs and has, and how long writing would take.
import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import { BackupLevelValue } from '../lifecycle/models/job-enums.js';

@ObjectType('BackupPlanRoot', { description: 'One source path of a plan: the level it would really run at and the run it would compare with.' })
export class BackupPlanRootModel {
  @Field()
  path!: string;

  @Field(() => BackupLevelValue, { description: 'INCREMENTAL without an earlier successful backup of this path runs as FULL.' })
  level!: BackupLevelValue;

  @Field(() => String, { nullable: true })
  baseRunId!: string | null;

  @Field(() => String, { nullable: true, description: 'The line the backup job would log about its base.' })
  note!: string | null;
}

@ObjectType('BackupPlan', { description: 'What startBackup with the same input would do now. Nothing was written and no job was created.' })
export class BackupPlanModel {
  @Field()
  agent!: string;

  @Field(() => BackupLevelValue)
  level!: BackupLevelValue;

  @Field(() => String, { nullable: true })
  pool!: string | null;

  @Field(() => Int, { description: 'Regular files in the sources (after excludes).' })
  files!: number;

  @Field(() => Int)
  directories!: number;

  @Field(() => Int)
  symlinks!: number;

  @Field(() => Float, { description: 'Bytes of all regular files in the sources.' })
  bytes!: number;

  @Field(() => Int, { description: 'Files whose bytes the backup would write to tape (per copy).' })
  writeFiles!: number;

  @Field(() => Float, { description: 'Bytes the backup would write to tape (per copy): all of them for a FULL, new and changed files for an INCREMENTAL.' })
  writeBytes!: number;

  @Field(() => Int, { description: 'Entries an INCREMENTAL would leave alone (unchanged since its base).' })
  unchangedEntries!: number;

  @Field(() => Float, { description: 'Bytes of unchanged files, not written again.' })
  unchangedBytes!: number;

  @Field(() => Int, { description: 'Files recorded with a content already on tape, no bytes written (renames, pool dedup, compareContent).' })
  byReferenceFiles!: number;

  @Field(() => Float)
  byReferenceBytes!: number;

  @Field(() => Int, { description: 'Entries gone since the base (recorded as deleted).' })
  deleted!: number;

  @Field(() => Int, { description: 'Entries the scan could not read; the backup would skip and log them.' })
  unreadable!: number;

  @Field(() => [BackupPlanRootModel])
  roots!: BackupPlanRootModel[];

  @Field(() => Int, { nullable: true, description: "The LTO generation planned with: the pool's, else the newest the agent's drives write." })
  generation!: number | null;

  @Field(() => Int, { description: 'Copies the pool keeps (each on its own tapes, written at once).' })
  copies!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'Capacity of one tape planned with (the smallest writable tape of that generation in reach, else the native capacity).',
  })
  tapeCapacityBytes!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'What a backup fills of one fresh tape: capacity less the early-warning zone and the minimum free share.',
  })
  usableBytesPerTape!: number | null;

  @Field(() => Int, { description: 'Fresh tapes one copy needs: ceil(writeBytes / usableBytesPerTape).' })
  tapesNeededPerCopy!: number;

  @Field(() => Int, { description: 'tapesNeededPerCopy × copies.' })
  tapesNeeded!: number;

  @Field(() => Int, { description: "Writable tapes (SCRATCH, or the pool's ACTIVE tapes with room) in the agent's libraries that no other job holds." })
  tapesAvailable!: number;

  @Field(() => Float, { nullable: true, description: 'Native (uncompressed) streaming rate of the generation, bytes per second.' })
  nativeRateBytesPerSecond!: number | null;

  @Field(() => Int, { nullable: true, description: 'writeBytes at the native rate, in seconds (tape changes and small-file overhead not included).' })
  estimatedSeconds!: number | null;

  @Field(() => [String], {
    description: 'What would make the job wait or surprise, e.g. "the job will wait for tapes: needs 3, 1 available in pool weekly on agent tape-01".',
  })
  warnings!: string[];
}
