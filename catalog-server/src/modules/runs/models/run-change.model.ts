// One entry a run changed, for `runChanges(runId)`: what kind of change, and the version the run
// recorded (for DELETED: the deletion marker).
import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';
import { PageInfo } from '../../../common/pagination.js';
import { FileVersionModel } from '../../files/models/file-version.model.js';

export enum ChangeKindValue {
  ADDED = 'ADDED',
  MODIFIED = 'MODIFIED',
  DELETED = 'DELETED',
  UNCHANGED = 'UNCHANGED',
}

registerEnumType(ChangeKindValue, {
  name: 'ChangeKind',
  description:
    "How a run's version compares with its base run: ADDED (not in the base), MODIFIED (other content, size, type or link target), DELETED (a deletion marker), UNCHANGED (same content; recorded again, e.g. a FULL run or a touched file).",
});

@ObjectType('RunChange')
export class RunChangeModel {
  @Field(() => ChangeKindValue)
  kind!: ChangeKindValue | `${ChangeKindValue}`;

  @Field(() => String)
  path!: string;

  @Field(() => FileVersionModel)
  version!: FileVersionModel;
}

@ObjectType('RunChangeEdge')
export class RunChangeEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => RunChangeModel)
  node!: RunChangeModel;
}

@ObjectType('RunChangeConnection', { description: 'Changes of a run, in archive order.' })
export class RunChangeConnection {
  @Field(() => [RunChangeEdge])
  edges!: RunChangeEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
