// Decides what a backup job records, root by root, against each root's base run (see base-diff.ts).
// Without a base source (tests of the write path, tools that run a job without a server) every
// scanned entry is recorded, as a FULL backup without a base would.
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { IncrementalLevel, type FileRecord } from '@ferrite/proto';
import type { BaseSource } from './base-source.js';
import { diffWithBase, sortForDiff } from './base-diff.js';
import type { SourceEntry } from './source-scan.js';

export interface RunPlan {
  /** Entries to record the usual way (written to tape when they are non-empty files). */
  record: SourceEntry[];
  /** Files recorded with a content already on tape: no bytes written. */
  byReference: Array<{ entry: SourceEntry; sha256: Buffer }>;
  /** Deletion markers. */
  deleted: FileRecord[];
  unchanged: number;
  /** Entries an earlier attempt of this job confirmed (a resumed job): skipped. */
  confirmed: number;
  /** Per root, in order: the level it really runs at and the base run compared with (for the job header). */
  runs: Array<{ root: string; level: IncrementalLevel; baseRunId: string | null }>;
}

/** SHA-256 of a file, or null when it cannot be read (it is then written as changed). */
export async function hashFile(entry: SourceEntry): Promise<Buffer | null> {
  const hash = createHash('sha256');
  try {
    await pipeline(createReadStream(entry.path), hash);
    return hash.digest();
  } catch {
    return null;
  }
}

function isUnderOrEqual(p: string, root: string): boolean {
  return root === '/' || p === root || p.startsWith(`${root}/`);
}

export async function planRun(
  entries: SourceEntry[],
  roots: string[],
  options: { level: IncrementalLevel; compareContent: boolean; baseSource?: BaseSource; note: (line: string, root: string) => Promise<void> },
): Promise<RunPlan> {
  if (!options.baseSource) {
    return {
      record: entries,
      byReference: [],
      deleted: [],
      unchanged: 0,
      confirmed: 0,
      runs: roots.map((root) => ({ root, level: options.level, baseRunId: null })),
    };
  }
  // Each entry belongs to the longest root it lies under (the server files it the same way).
  const byRoot = new Map<string, SourceEntry[]>(roots.map((r) => [r, []]));
  for (const e of entries) {
    let best: string | undefined;
    for (const r of roots) if (isUnderOrEqual(e.path, r) && (best === undefined || r.length > best.length)) best = r;
    if (best !== undefined) byRoot.get(best)!.push(e);
  }
  const plan: RunPlan = { record: [], byReference: [], deleted: [], unchanged: 0, confirmed: 0, runs: [] };
  for (const [root, list] of byRoot) {
    const diff = await diffWithBase(sortForDiff(list), options.baseSource(root), { level: options.level, compareContent: options.compareContent, hashFile });
    if (diff.note) await options.note(diff.note, root);
    plan.record.push(...diff.record);
    plan.byReference.push(...diff.byReference);
    plan.deleted.push(...diff.deleted);
    plan.unchanged += diff.unchanged;
    plan.confirmed += diff.confirmed;
    plan.runs.push({ root, level: diff.level, baseRunId: diff.baseRunId || null });
  }
  return plan;
}
