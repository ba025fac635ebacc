// Recreates FIFOs and device nodes. Node has neither mkfifo nor mknod, so coreutils' `mknod` does it
// (part of every Debian/Ubuntu system), one process per entry: special files are few. Devices
// need root (CAP_MKNOD); without it the entry is refused before anything runs.
import { execFile } from 'node:child_process';
import { FileType } from '@ferrite/proto';

/** Why the entry cannot be made here, or null. */
export function specialFileProblem(type: FileType, asRoot: boolean): string | null {
  if ((type === FileType.FILE_TYPE_CHAR_DEVICE || type === FileType.FILE_TYPE_BLOCK_DEVICE) && !asRoot)
    return 'a device node is restored only by an agent running as root (mknod needs CAP_MKNOD)';
  return null;
}

/** The arguments of `mknod` for the entry. Pure: unit-tested. */
export function mknodArgs(path: string, type: FileType, mode: number, major: number, minor: number): string[] {
  const kind = type === FileType.FILE_TYPE_FIFO ? ['p'] : [type === FileType.FILE_TYPE_CHAR_DEVICE ? 'c' : 'b', String(major), String(minor)];
  return ['-m', (mode & 0o7777).toString(8), '--', path, ...kind];
}

export function isSpecial(type: FileType): boolean {
  return type === FileType.FILE_TYPE_FIFO || type === FileType.FILE_TYPE_CHAR_DEVICE || type === FileType.FILE_TYPE_BLOCK_DEVICE;
}

/** Runs mknod; rejects with its own message. */
export function makeSpecialFile(path: string, type: FileType, mode: number, major: number, minor: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('mknod', mknodArgs(path, type, mode, major, minor), { env: { ...process.env, LC_ALL: 'C' } }, (err, _out, stderr) =>
      err ? reject(new Error(`mknod failed: ${stderr.trim().replace(/^mknod: /, '') || err.message}`)) : resolve(),
    );
  });
}
