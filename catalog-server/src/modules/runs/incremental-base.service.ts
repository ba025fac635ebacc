// Serves a backup run's base state to the agent (the IncrementalBase RPC): chooses the run's base
// (RunsService), then streams the base's live entries under the run's root in (directory, name)
// byte order, a page per message. The agent merge-joins this with its own scan sorted the same way.
// For a resumed job the stream also carries the entries the job's run already holds (confirmed by an
// earlier attempt, flagged `confirmed`): one merge pass then skips those and diffs the rest.
import { Injectable } from '@nestjs/common';
import { FileType, IncrementalLevel, type IncrementalBaseEntry, type IncrementalBaseResponse } from '@ferrite/proto';
import { RunsService } from './runs.service.js';
import { IncrementalBaseRepository, type BaseEntryRow } from '../files/incremental-base.repository.js';
import { joinPath } from '../files/paths.js';

/** Entries per message: ~150 bytes each, so a message stays well under 1 MiB. */
const PAGE_SIZE = 2000;

const TYPES = {
  FILE: FileType.FILE_TYPE_FILE,
  DIRECTORY: FileType.FILE_TYPE_DIRECTORY,
  SYMLINK: FileType.FILE_TYPE_SYMLINK,
  FIFO: FileType.FILE_TYPE_FIFO,
  CHAR_DEVICE: FileType.FILE_TYPE_CHAR_DEVICE,
  BLOCK_DEVICE: FileType.FILE_TYPE_BLOCK_DEVICE,
} as const;

function toEntry(r: BaseEntryRow): IncrementalBaseEntry {
  return {
    path: joinPath(r.dir, r.name),
    type: TYPES[r.type],
    size: r.size,
    // A whole number of milliseconds already (timestamptz(3)); round only away float noise.
    mtimeMs: Math.round(r.mtime_ms),
    mtimeNanos: r.mtime_nanos ?? undefined,
    ctimeMs: r.ctime_ms === null ? 0 : Math.round(r.ctime_ms),
    inode: r.inode ?? 0,
    mode: r.mode,
    sha256: r.sha256 ?? Buffer.alloc(0),
    symlinkTarget: r.symlink_target ?? '',
    contentSufficient: r.sufficient,
    confirmed: r.confirmed,
  };
}

/** The job log's line on the base: which run a backup compares with, or why an INCREMENTAL runs FULL. */
function baseNote(base: { requestedLevel: string; level: string; root: string; baseRunId: string | null; dedup: unknown }): string {
  if (base.requestedLevel === 'INCREMENTAL' && base.level === 'FULL')
    return `no earlier successful backup of ${base.root}: this INCREMENTAL runs as a FULL backup`;
  if (base.baseRunId) return `${base.level} backup of ${base.root} compared with run ${base.baseRunId}${base.dedup ? ' (pool dedup on)' : ''}`;
  return '';
}

@Injectable()
export class IncrementalBaseService {
  constructor(
    private readonly runs: RunsService,
    private readonly repo: IncrementalBaseRepository,
  ) {}

  /**
   * The base a backup plan compares with (PlanBase): the messages IncrementalBase would send to a
   * backup of `host` and `root` starting now. The caller has checked that `host` is the agent's own.
   */
  async *streamForPlan(host: string, root: string, requestedLevel: 'FULL' | 'INCREMENTAL', pool: string | null): AsyncGenerator<IncrementalBaseResponse> {
    const base = await this.runs.resolvePlanBase(host, root, requestedLevel, pool);
    const level = base.level === 'INCREMENTAL' ? IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL : IncrementalLevel.INCREMENTAL_LEVEL_FULL;
    const head: IncrementalBaseResponse = { baseRunId: base.baseRunId ?? '', level, note: baseNote(base), entries: [] };
    if (!base.baseRunId || base.hostId === null) {
      yield head;
      return;
    }
    let first = true;
    for await (const page of this.repo.baseEntries({ baseRunId: base.baseRunId }, base.hostId, base.root, base.dedup, PAGE_SIZE)) {
      yield { ...(first ? head : { ...head, note: '' }), entries: page.map(toEntry) };
      first = false;
    }
    if (first) yield head;
  }

  /** The messages of one IncrementalBase stream. The caller has checked that the job is the agent's. */
  async *stream(jobId: string, root: string): AsyncGenerator<IncrementalBaseResponse> {
    const base = await this.runs.resolveBase(jobId, root);
    const level = base.level === 'INCREMENTAL' ? IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL : IncrementalLevel.INCREMENTAL_LEVEL_FULL;
    let note = baseNote(base);
    // A resumed attempt: the run already holds what earlier attempts confirmed. Those entries are
    // streamed with the base (flagged), so the agent skips them and compares the rest as usual.
    const held = await this.repo.countRunEntries(base.runId);
    if (held > 0) note = [note, `resuming: ${held} entries of ${base.root} were confirmed by an earlier attempt`].filter(Boolean).join('; ');
    const head: IncrementalBaseResponse = { baseRunId: base.baseRunId ?? '', level, note, entries: [] };
    if (!base.baseRunId && held === 0) {
      yield head;
      return;
    }
    const from = held > 0 ? { ownRunId: base.runId } : { baseRunId: base.baseRunId! };
    let first = true;
    for await (const page of this.repo.baseEntries(from, base.hostId, base.root, base.dedup, PAGE_SIZE)) {
      yield { ...(first ? head : { baseRunId: base.baseRunId ?? '', level, note: '' }), entries: page.map(toEntry) };
      first = false;
    }
    if (first) yield head;
  }
}
