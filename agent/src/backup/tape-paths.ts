// Where a backup job's objects go on the volume (design §5). Later attempts of a job get their own
// directory so a retry never overwrites what an earlier attempt confirmed.
export function jobDataDir(jobId: string, attempt: number): string {
  return attempt > 1 ? `ferrite/data/${jobId}.${attempt}` : `ferrite/data/${jobId}`;
}

/** A large file, stored whole at its original path below the job's data directory. */
export function largeFilePath(jobId: string, attempt: number, sourcePath: string): string {
  return `${jobDataDir(jobId, attempt)}/${sourcePath.replace(/^\/+/, '')}`;
}

export function bundlePath(jobId: string, attempt: number, index: number): string {
  return `${jobDataDir(jobId, attempt)}/bundles/${String(index).padStart(6, '0')}.tar`;
}

export function manifestPath(jobId: string, attempt: number, seq: number): string {
  const job = attempt > 1 ? `${jobId}.${attempt}` : jobId;
  return `ferrite/manifests/${job}-${String(seq).padStart(6, '0')}.jsonl`;
}

/** Member name inside a bundle: the original path without its leading slash. */
export function bundleMemberName(sourcePath: string): string {
  return sourcePath.replace(/^\/+/, '');
}
