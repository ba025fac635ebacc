// Turns placements into the plan a verify job reads: per tape, objects in (partition, start block,
// offset) order so the tape only moves forward; tapes by barcode. Only a placement that holds a
// whole content (segment 0, from the file's first byte, its full length) has a SHA-256 to compare
// with: a segment of a file spanning tapes is counted apart and not sent. Pure, unit-tested.
import type { RestoreItem, RestoreTape } from '@ferrite/proto';
import { FileType as ProtoFileType } from '@ferrite/proto';
import type { ResolvedVerify } from './files.contract.js';
import type { PlacementRow } from './file-search.repository.js';
import { compareTapePosition } from './restore-plan.js';

/** A placement with what its bytes must hash to and the size of the whole content. */
export interface VerifyPlacementRow extends Omit<PlacementRow, 'jobId'> {
  sha256: Buffer;
  contentSize: number;
}

/** `pathOf` names a file that uses the content (for the job log), or '' when none is at hand. */
export function buildVerifyPlan(placements: VerifyPlacementRow[], pathOf: (contentId: string) => string = () => ''): ResolvedVerify {
  const tapes = new Map<string, VerifyPlacementRow[]>();
  let partialSegments = 0;
  for (const p of placements) {
    if (p.segment !== 0 || p.fileOffset !== 0 || p.length !== p.contentSize) {
      partialSegments++;
      continue;
    }
    const list = tapes.get(p.barcode);
    if (list) list.push(p);
    else tapes.set(p.barcode, [p]);
  }
  let objectCount = 0;
  let byteCount = 0;
  const planned: RestoreTape[] = [...tapes.keys()].sort().map((barcode) => {
    const items = tapes
      .get(barcode)!
      .sort(compareTapePosition)
      .map((p) => {
        objectCount++;
        byteCount += p.length;
        return toVerifyItem(p, pathOf(p.contentId));
      });
    return { barcode, items };
  });
  return { tapes: planned, objectCount, byteCount, partialSegments, streamed: false };
}

/** One object to read back: where it lies and what it must hash to. */
export function toVerifyItem(p: VerifyPlacementRow, path = ''): RestoreItem {
  return {
    path,
    type: ProtoFileType.FILE_TYPE_FILE,
    size: p.contentSize,
    mtimeMs: 0,
    mtimeNanos: 0,
    mode: 0,
    sha256: p.sha256,
    symlinkTarget: '',
    location: {
      barcode: p.barcode,
      partition: p.partition,
      startBlock: p.startBlock,
      containerPath: p.containerPath,
      offset: p.offset,
      length: p.length,
      segment: p.segment,
      fileOffset: p.fileOffset,
      copy: p.copy,
    },
  };
}
