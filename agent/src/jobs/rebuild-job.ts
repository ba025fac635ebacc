// REBUILD: read a tape's label, job headers and manifests, and report every manifest to the catalog
// (ReportRebuild), which adds what it does not hold yet: the tape, the backup jobs and their runs,
// the file versions, contents and placements. Manifests were written at each checkpoint, so what a
// tape holds is described on the tape itself; nothing else is needed, and nothing is written.
// A manifest older than the tape's current label (its job header started before the label was
// written) belongs to a volume that a format replaced: it is skipped with a warning naming it, so
// the runs of a recycled tape never come back. A format erases them anyway; this is the guard.
import { text } from 'node:stream/consumers';
import type { RebuildSpec } from '@ferrite/proto';
import type { MountedVolume } from '../drives/drive.js';
import { recordFromManifestLine } from '../backup/checkpoint.js';
import { MANIFEST_DIR, parseManifestPath } from '../backup/tape-paths.js';
import { JobError, throwIfCancelled, type JobContext } from './job-context.js';
import { ensureLoaded, mountChecked } from './tape-handling.js';
import { expectLabel, labelGeneration } from './volume-label.js';

/** How far a job header's start may precede its tape's label and still count as written under it:
 *  the format and the backup may run on hosts whose clocks differ a little. */
export const LABEL_CLOCK_SKEW_MS = 5 * 60_000;

/** One attempt of one backup job on the tape: its header (if the tape has one) and its manifests. */
interface JobOnTape {
  jobId: string;
  attempt: number;
  headerPath: string | null;
  manifests: Array<{ path: string; seq: number }>;
}

export async function runRebuildJob(ctx: JobContext, spec: RebuildSpec): Promise<string> {
  await ensureLoaded(ctx, spec.barcode);
  const volume = await mountChecked(ctx, true);
  try {
    const label = await expectLabel(volume, spec.barcode);
    const labelJson = JSON.stringify(label);
    const jobs = await jobsOnTape(volume);
    const total = jobs.reduce((n, j) => n + j.manifests.length, 0);
    const counts = { manifests: 0, added: 0, known: 0, records: 0, stale: 0 };
    for (const job of jobs) {
      const headerJson = job.headerPath ? await text(volume.createReadStream(job.headerPath)) : '';
      if (olderThanLabel(headerJson, label.createdAt)) {
        counts.stale += job.manifests.length;
        await ctx.reporter.note(
          'warn',
          `skipped ${job.manifests.map((m) => m.path).join(', ')}: job ${job.jobId} started before the label of ${spec.barcode} (generation ${labelGeneration(label)}, volume ${label.volumeUuid}) was written, so they describe a volume since replaced`,
        );
        continue;
      }
      const headerHost = hostIn(headerJson);
      for (const [i, m] of job.manifests.entries()) {
        throwIfCancelled(ctx.signal);
        ctx.reporter.progress({ bytesDone: 0, bytesTotal: 0, filesDone: counts.manifests, filesTotal: total, currentFile: m.path, currentTape: spec.barcode });
        const lines = (await text(volume.createReadStream(m.path))).split('\n').filter((l) => l.trim() !== '');
        const files = lines.map((line, n) => {
          try {
            return recordFromManifestLine(line);
          } catch (err) {
            throw new JobError('MANIFEST_INVALID', `${m.path} line ${n + 1}: ${(err as Error).message}`);
          }
        });
        const res = await ctx.reporter.rebuild({
          // The backed-up host: the header says it, and so does every manifest line.
          sourceHost: headerHost || hostIn(lines[0] ?? ''),
          labelJson,
          jobHeaderJson: headerJson,
          manifestPath: m.path,
          sourceJobId: job.jobId,
          sourceAttempt: job.attempt,
          sourceBatchSeq: m.seq,
          files,
          lastOfJob: i === job.manifests.length - 1,
        });
        counts.manifests++;
        counts.records += files.length;
        if (res.added) counts.added++;
        else counts.known++;
      }
      if (!job.headerPath)
        await ctx.reporter.note('warn', `job ${job.jobId} (attempt ${job.attempt}) has no header on ${spec.barcode}: its runs are rebuilt as one FULL run`);
    }
    await ctx.reporter.finalProgress({
      bytesDone: 0,
      bytesTotal: 0,
      filesDone: counts.manifests,
      filesTotal: total,
      currentFile: '',
      currentTape: spec.barcode,
    });
    const stale = counts.stale ? `; ${counts.stale} manifest(s) older than the tape's label skipped` : '';
    return `read ${counts.manifests} manifest(s) of ${jobs.length} backup job attempt(s) from ${spec.barcode} (${counts.records} records): ${counts.added} added to the catalog, ${counts.known} already there${stale}`;
  } finally {
    await volume.unmount();
  }
}

/** Whether a job header says its job started before the label was written (beyond clock skew).
 *  False when either time is missing or unreadable: nothing to judge by. */
export function olderThanLabel(headerJson: string, labelCreatedAt: string): boolean {
  const labelAt = Date.parse(labelCreatedAt);
  let startedAt = NaN;
  try {
    const s = headerJson ? (JSON.parse(headerJson) as { startedAt?: unknown }).startedAt : undefined;
    if (typeof s === 'string') startedAt = Date.parse(s);
  } catch {
    return false;
  }
  return Number.isFinite(labelAt) && Number.isFinite(startedAt) && startedAt < labelAt - LABEL_CLOCK_SKEW_MS;
}

/** The `host` of a header or manifest line, or '' when it names none. */
function hostIn(json: string): string {
  try {
    const host = json ? (JSON.parse(json) as { host?: unknown }).host : undefined;
    return typeof host === 'string' ? host : '';
  } catch {
    return '';
  }
}

/** Every job attempt with manifests on the volume, in the order they were written. */
async function jobsOnTape(volume: MountedVolume): Promise<JobOnTape[]> {
  if (!(await volume.exists(MANIFEST_DIR))) return [];
  const byJob = new Map<string, JobOnTape>();
  for (const path of await volume.list(MANIFEST_DIR)) {
    const p = parseManifestPath(path);
    if (!p) continue;
    const key = `${p.jobId}\u0000${p.attempt}`;
    const job = byJob.get(key) ?? { jobId: p.jobId, attempt: p.attempt, headerPath: null, manifests: [] };
    byJob.set(key, job);
    if (p.header) job.headerPath = path;
    else job.manifests.push({ path, seq: p.seq });
  }
  const jobs = [...byJob.values()].filter((j) => j.manifests.length > 0);
  for (const j of jobs) j.manifests.sort((a, b) => a.seq - b.seq);
  // Tape order is write order: a job whose first manifest starts earlier on tape was written first.
  const firstBlock = new Map<JobOnTape, number>();
  for (const j of jobs) firstBlock.set(j, (await volume.position(j.manifests[0].path)).startBlock);
  return jobs.sort((a, b) => firstBlock.get(a)! - firstBlock.get(b)!);
}
