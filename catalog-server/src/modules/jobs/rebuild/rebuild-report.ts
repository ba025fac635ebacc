// What a rebuild report says, checked: the tape's label, and the backup job's runs from its header
// (or, for tapes written before headers, one FULL run rooted at "/").
// Pure, so the parsing and the fallback are unit-tested without a database.
import { isUuid } from '../../../common/ids.js';
import { FerriteError } from '../../../common/errors.js';

export interface RebuildLabel {
  barcode: string;
  volumeUuid: string | null;
  createdAt: Date | null;
  pool: string | null;
}

export interface RebuiltRun {
  id: string;
  root: string;
  level: 'FULL' | 'INCREMENTAL';
  baseRunId: string | null;
  startedAt: Date;
}

export interface RebuiltJob {
  host: string;
  startedAt: Date;
  runs: RebuiltRun[];
}

const invalid = (message: string) => new FerriteError('INVALID_REBUILD_REPORT', message);

export function parseRebuildLabel(json: string): RebuildLabel {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch (err) {
    throw invalid(`the tape label is not JSON: ${(err as Error).message}`);
  }
  if (o?.format !== 'ferrite' || typeof o.barcode !== 'string') throw invalid('the tape label is not a Ferrite label (format "ferrite" and a barcode)');
  const created = typeof o.createdAt === 'string' ? new Date(o.createdAt) : null;
  return {
    barcode: o.barcode,
    volumeUuid: isUuid(o.volumeUuid) ? o.volumeUuid.toLowerCase() : null,
    createdAt: created && !Number.isNaN(created.getTime()) ? created : null,
    pool: typeof o.pool === 'string' && o.pool ? o.pool : null,
  };
}

/**
 * The job's host, start and runs. `headerJson` empty (a tape written before job headers): one FULL
 * run with a new id rooted at "/", started at `fallbackStart`. Its roots are not on the tape, and
 * each manifest shows only some of its paths, so "/" is the one root every manifest fits under.
 */
export function rebuiltJob(sourceJobId: string, headerJson: string, sourceHost: string, newRunId: () => string, fallbackStart: Date): RebuiltJob {
  if (!headerJson) {
    if (!sourceHost) throw invalid(`job ${sourceJobId}: neither a header nor the manifest names the host it backed up`);
    return { host: sourceHost, startedAt: fallbackStart, runs: [{ id: newRunId(), root: '/', level: 'FULL', baseRunId: null, startedAt: fallbackStart }] };
  }
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(headerJson) as Record<string, unknown>;
  } catch (err) {
    throw invalid(`the header of job ${sourceJobId} is not JSON: ${(err as Error).message}`);
  }
  if (h?.job !== sourceJobId) throw invalid(`the header names job ${String(h?.job)}, not ${sourceJobId}`);
  const startedAt = new Date(String(h.startedAt));
  if (typeof h.host !== 'string' || !h.host || Number.isNaN(startedAt.getTime()) || !Array.isArray(h.runs) || h.runs.length === 0) {
    throw invalid(`the header of job ${sourceJobId} lacks its host, start time or runs`);
  }
  const runs = (h.runs as Array<Record<string, unknown>>).map((r): RebuiltRun => {
    if (typeof r.root !== 'string' || !r.root.startsWith('/') || (r.level !== 'FULL' && r.level !== 'INCREMENTAL')) {
      throw invalid(`the header of job ${sourceJobId} has a malformed run: ${JSON.stringify(r).slice(0, 200)}`);
    }
    // A job run without a catalog (tools, tests) has no run ids: the rebuilt runs get new ones.
    return { id: isUuid(r.id) ? r.id : newRunId(), root: r.root, level: r.level, baseRunId: isUuid(r.baseRunId) ? r.baseRunId : null, startedAt };
  });
  return { host: h.host, startedAt, runs };
}

/**
 * The records without their locations on other tapes that retention recycled after the job began:
 * those tapes were reformatted (or await it), so what the manifest says lies there is gone. The
 * rebuilt tape's own locations always stay (the manifest is on it). Returns the barcodes dropped.
 */
export function withoutRecycledCopies<R extends { locations: Array<{ barcode: string }> }>(
  files: R[],
  rebuiltBarcode: string,
  recycledAt: Map<string, Date | null>,
  jobStartedAt: Date,
): { files: R[]; dropped: string[] } {
  const gone = (barcode: string) => {
    const at = recycledAt.get(barcode);
    return barcode !== rebuiltBarcode && at != null && at.getTime() > jobStartedAt.getTime();
  };
  const dropped = new Set<string>();
  const out = files.map((f) => {
    if (!f.locations.some((l) => gone(l.barcode))) return f;
    for (const l of f.locations) if (gone(l.barcode)) dropped.add(l.barcode);
    return { ...f, locations: f.locations.filter((l) => !gone(l.barcode)) };
  });
  return { files: out, dropped: [...dropped].sort() };
}
