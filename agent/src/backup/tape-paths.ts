// Where a backup job's objects go on the volume (design §5). Later attempts of a job get their own
// directory so a retry never overwrites what an earlier attempt confirmed.
export function jobDataDir(jobId: string, attempt: number): string {
  return attempt > 1 ? `ferrite/data/${jobId}.${attempt}` : `ferrite/data/${jobId}`;
}

/** A large file, stored whole at its original path below the job's data directory. */
export function largeFilePath(jobId: string, attempt: number, sourcePath: string): string {
  return `${jobDataDir(jobId, attempt)}/${sourcePath.replace(/^\/+/, '')}`;
}

/**
 * A file read again at the end of the job because it changed while it was read (onChange RETRY).
 * Beside the job's data directory, not in it, so it can never meet the path of a file of the backup
 * (the first read's object stays on tape, unreferenced).
 */
export function retriedFilePath(jobId: string, attempt: number, sourcePath: string): string {
  return `${jobDataDir(jobId, attempt)}.retried/${sourcePath.replace(/^\/+/, '')}`;
}

export function bundlePath(jobId: string, attempt: number, index: number): string {
  return `${jobDataDir(jobId, attempt)}/bundles/${String(index).padStart(6, '0')}.tar`;
}

export const MANIFEST_DIR = 'ferrite/manifests';

export function manifestPath(jobId: string, attempt: number, seq: number): string {
  const job = attempt > 1 ? `${jobId}.${attempt}` : jobId;
  return `${MANIFEST_DIR}/${job}-${String(seq).padStart(6, '0')}.jsonl`;
}

/** The job header of an attempt: what the manifests do not repeat per line (runs, levels, bases). */
export function jobHeaderPath(jobId: string, attempt: number): string {
  const job = attempt > 1 ? `${jobId}.${attempt}` : jobId;
  return `${MANIFEST_DIR}/${job}-000000.json`;
}

/**
 * The note on a tape that ends in the middle of a file spanning tapes: which piece of which file it
 * holds (the file's manifest line, with every segment, is on the tape where the file ends).
 */
export function continuedNotePath(jobId: string, attempt: number): string {
  const job = attempt > 1 ? `${jobId}.${attempt}` : jobId;
  return `${MANIFEST_DIR}/${job}-continued.json`;
}

/** A manifest's or header's job, attempt and checkpoint number, from its path; null for anything else. */
export function parseManifestPath(path: string): { jobId: string; attempt: number; seq: number; header: boolean } | null {
  const m = /^ferrite\/manifests\/(.+?)(?:\.(\d+))?-(\d{6})\.(jsonl|json)$/.exec(path);
  if (!m) return null;
  const seq = Number(m[3]);
  const header = m[4] === 'json';
  if (header !== (seq === 0)) return null;
  return { jobId: m[1], attempt: m[2] ? Number(m[2]) : 1, seq, header };
}

/** Member name inside a bundle: the original path without its leading slash. */
export function bundleMemberName(sourcePath: string): string {
  return sourcePath.replace(/^\/+/, '');
}
