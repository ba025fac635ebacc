// REBUILD: read a tape's label, job headers and manifests, and report every manifest to the catalog
// (ReportRebuild), which adds what it does not hold yet: the tape, the backup jobs and their runs,
// the file versions, contents and placements. Manifests were written at each checkpoint, so what a
// tape holds is described on the tape itself; nothing else is needed, and nothing is written.
import { text } from 'node:stream/consumers';
import type { RebuildSpec } from '@ferrite/proto';
import type { MountedVolume } from '../drives/drive.js';
import { recordFromManifestLine } from '../backup/checkpoint.js';
import { MANIFEST_DIR, parseManifestPath } from '../backup/tape-paths.js';
import { JobError, throwIfCancelled, type JobContext } from './job-context.js';
import { ensureLoaded, mountChecked } from './tape-handling.js';
import { expectLabel } from './volume-label.js';

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
    const labelJson = JSON.stringify(await expectLabel(volume, spec.barcode));
    const jobs = await jobsOnTape(volume);
    const total = jobs.reduce((n, j) => n + j.manifests.length, 0);
    const counts = { manifests: 0, added: 0, known: 0, records: 0 };
    for (const job of jobs) {
      const headerJson = job.headerPath ? await text(volume.createReadStream(job.headerPath)) : '';
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
    return `read ${counts.manifests} manifest(s) of ${jobs.length} backup job attempt(s) from ${spec.barcode} (${counts.records} records): ${counts.added} added to the catalog, ${counts.known} already there`;
  } finally {
    await volume.unmount();
  }
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
