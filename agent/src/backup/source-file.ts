// Opens a file to back up the way a backup must: never following a symlink swapped in since the
// scan (O_NOFOLLOW), never waiting on a FIFO or a device swapped in since the scan (O_NONBLOCK: an
// open of a FIFO without a writer would block the job forever), and only if it is still a regular
// file. Anything else is a SourceSkipped error: the file is skipped with a warning, never a hang
// and never a failed job.
import { constants, closeSync, fstatSync, openSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

/** A source file that cannot be backed up as it is now; `code` is the errno or NOT_REGULAR. */
export class SourceSkipped extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'SourceSkipped';
  }
}

const NOT_REGULAR = 'is no longer a regular file (a FIFO, device, socket or directory took its place)';

function skippedFor(path: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (typeof code !== 'string') return err;
  // ELOOP: O_NOFOLLOW met a symlink that took the file's place.
  const reason = code === 'ELOOP' ? 'is now a symlink' : code === 'ENOENT' ? 'vanished during the backup' : `could not be opened (${code})`;
  return new SourceSkipped(path, code, reason);
}

export async function openSourceFile(path: string): Promise<FileHandle> {
  let file: FileHandle;
  try {
    file = await open(path, FLAGS);
  } catch (err) {
    throw skippedFor(path, err);
  }
  const st = await file.stat();
  if (!st.isFile()) {
    await file.close();
    throw new SourceSkipped(path, 'NOT_REGULAR', NOT_REGULAR);
  }
  return file;
}

/** The same for the file-system worker's synchronous reads: a file descriptor, or why not. */
export function openSourceFileSync(path: string): { fd: number } | { code: string; message: string } {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (err) {
    const skipped = skippedFor(path, err);
    return skipped instanceof SourceSkipped ? { code: skipped.code, message: skipped.message } : { code: 'EIO', message: String(err) };
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    return { code: 'NOT_REGULAR', message: NOT_REGULAR };
  }
  return { fd };
}
