// Turns placements into the plan a verify job reads: per tape, objects in (partition, start block,
// offset) order so the tape only moves forward; tapes by barcode. A placement that holds a whole
// content (segment 0, from the file's first byte, its full length) is checked against the content's
// SHA-256; a segment of a file spanning tapes against its own (segment_sha256), so a verify of one
// tape checks the piece that tape holds. Segments written before segment hashes existed have
// nothing to compare with: counted apart and not sent. Pure, unit-tested.
import type { RestoreItem, RestoreTape } from '@ferrite/proto';
import { FileType as ProtoFileType } from '@ferrite/proto';
import type { ResolvedVerify } from './files.contract.js';
import { FilesErrorCode, filesError } from './files.errors.js';
import type { PlacementRow } from './file-search.repository.js';
import { compareTapePosition } from './restore-plan.js';

/** A placement with its content's SHA-256 and the size of the whole content. */
export interface VerifyPlacementRow extends Omit<PlacementRow, 'jobId'> {
  /** The whole content's SHA-256 (what a placement holding all of it must hash to). */
  sha256: Buffer;
  contentSize: number;
}

/** What the placement's bytes must hash to: the content's SHA-256 when it holds the whole content,
 *  the segment's own when it is a segment that has one, null otherwise (nothing to compare with). */
export function expectedHash(p: VerifyPlacementRow): Buffer | null {
  if (p.segment === 0 && p.fileOffset === 0 && p.length === p.contentSize) return p.sha256;
  return p.segmentSha256?.length ? p.segmentSha256 : null;
}

/** `pathOf` names a file that uses the content (for the job log), or '' when none is at hand. */
export function buildVerifyPlan(placements: VerifyPlacementRow[], pathOf: (contentId: string) => string = () => ''): ResolvedVerify {
  const tapes = new Map<string, VerifyPlacementRow[]>();
  let partialSegments = 0;
  for (const p of placements) {
    if (!expectedHash(p)) {
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

/** One object to read back: where it lies and what it must hash to (`sha256`: the content's, or
 *  the segment's for a segment of a file spanning tapes, which `location.segmentSha256` also carries).
 *  Only for a placement with an expected hash (expectedHash). */
export function toVerifyItem(p: VerifyPlacementRow, path = ''): RestoreItem {
  const sha256 = expectedHash(p);
  if (!sha256) {
    throw filesError(
      FilesErrorCode.CATALOG_ERROR,
      `the placement of content ${p.contentId} on ${p.barcode} at block ${p.startBlock} has no hash to verify against`,
      {
        contentId: p.contentId,
        barcode: p.barcode,
      },
    );
  }
  return {
    path,
    type: ProtoFileType.FILE_TYPE_FILE,
    size: p.contentSize,
    mtimeMs: 0,
    mtimeNanos: 0,
    xattrs: [],
    linkCount: 0,
    hardLinkTo: '',
    owner: '',
    group: '',
    rdevMajor: 0,
    rdevMinor: 0,
    mode: 0,
    sha256,
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
      segmentSha256: p.segmentSha256 ?? Buffer.alloc(0),
      dataMap: [],
    },
    alternates: [],
  };
}
