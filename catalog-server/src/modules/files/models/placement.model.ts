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

  @Field(() => String, {
    nullable: true,
    description:
      "SHA-256 of this segment's bytes (lowercase hex) for a file spanning tapes: what a verify of this tape checks the segment against. Null for a file in one piece (the file's sha256 describes it) and for segments written before segment hashes existed.",
  })
  segmentSha256!: string | null;
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
    segmentSha256: row.segmentSha256?.length ? row.segmentSha256.toString('hex') : null,
  };
}
