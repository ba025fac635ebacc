// One stretch of a file's content on one tape (a file spanning tapes has one per segment).
import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import type { PlacementRow } from '../file-search.repository.js';

@ObjectType('Placement', { description: 'Where (part of) a content lies on tape. Sizes and positions are Float: exact up to 2^53.' })
export class PlacementModel {
  @Field(() => String, { description: 'Barcode (VOLSER) of the tape.' })
  barcode!: string;

  @Field(() => String, { description: 'LTFS partition: "a" (index) or "b" (data).' })
  partition!: string;

  @Field(() => Float, { description: 'LTFS start block of the container on the partition.' })
  startBlock!: number;

  @Field(() => String, { description: 'Path of the object on the LTFS volume: the file itself or the tar bundle holding it.' })
  containerPath!: string;

  @Field(() => Float, { description: 'Byte offset of the data inside the container.' })
  offset!: number;

  @Field(() => Float)
  length!: number;

  @Field(() => Int, { description: 'Segment index for a file spanning tapes (0 for a file in one piece).' })
  segment!: number;

  @Field(() => Float, { description: 'Offset of this segment inside the original file.' })
  fileOffset!: number;

  @Field(() => Int, { description: 'Copy number (1 for the first copy).' })
  copy!: number;
}

export function toPlacementModel(row: PlacementRow): PlacementModel {
  return {
    barcode: row.barcode,
    partition: row.partition,
    startBlock: row.startBlock,
    containerPath: row.containerPath,
    offset: row.offset,
    length: row.length,
    segment: row.segment,
    fileOffset: row.fileOffset,
    copy: row.copy,
  };
}
