// A backup run for GraphQL: one backup of one source root on one host.
import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { RunLevel } from '../../files/graphql-enums.js';
import { PageInfo } from '../../../common/pagination.js';
import type { RunRow } from '../runs.repository.js';

@ObjectType('Run', { description: 'One backup of one source root on one host.' })
export class RunModel {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  host!: string;

  @Field(() => String, { description: 'Absolute source path the run backed up.' })
  root!: string;

  @Field(() => RunLevel)
  level!: RunLevel;

  @Field(() => ID, {
    nullable: true,
    description: 'The run this one was compared with (latest successful run of the same host and root); null when it had none.',
  })
  baseRunId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The backup job that made the run.' })
  jobId!: string | null;

  @Field(() => Int, { description: 'Entries not in the base run (all entries when there is no base); counted when the run finishes.' })
  added!: number;

  @Field(() => Int, { description: 'Entries whose content, size, type or link target differ from the base.' })
  modified!: number;

  @Field(() => Int, { description: 'Entries of the base that are gone (deletion markers).' })
  deleted!: number;

  @Field(() => Int, { description: 'Entries of the base with the same content (not written again by an incremental).' })
  unchanged!: number;

  @Field(() => Date)
  startedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Null while the run is still going.' })
  finishedAt!: Date | null;
}

export function toRunModel(row: RunRow): RunModel {
  return { ...row };
}

@ObjectType('RunEdge')
export class RunEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => RunModel)
  node!: RunModel;
}

@ObjectType('RunConnection', { description: 'Runs, newest first.' })
export class RunConnection {
  @Field(() => [RunEdge])
  edges!: RunEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'All runs matching (runs are few: one per backup and root).' })
  totalCount!: number;
}
