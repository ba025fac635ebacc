// Gives restored entries their extended attributes and POSIX ACLs with `setfattr --restore`
// (package attr), many entries per process. When a run fails (a target file system that does not
// support them, ENOTSUP; trusted.* without root, EPERM), its entries are set again one by one, so
// each failure is pinned on its own entry with setfattr's own message, and the others still get
// theirs. Symlinks are not followed (-h).
import { spawn } from 'node:child_process';
import type { ExtendedAttribute } from '@ferrite/proto';
import { formatDump } from './xattr-dump.js';

/** Entries per setfattr run. */
const ENTRIES_PER_RUN = 500;

export interface XattrTarget {
  /** Where the entry is now. */
  path: string;
  /** What the job log and failedFiles name (the entry's original path). */
  entryPath: string;
  xattrs: readonly ExtendedAttribute[];
}

export interface XattrFailure {
  entryPath: string;
  cause: string;
}

function runSetfattr(entries: readonly XattrTarget[]): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('setfattr', ['-h', '--restore=-'], { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (stderr += c));
    child.once('error', (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, stderr: err.code === 'ENOENT' ? 'setfattr (package attr) is not installed' : err.message }),
    );
    child.once('close', (code) => resolve({ ok: code === 0, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(formatDump(entries));
  });
}

/** setfattr's message without the path it repeats: "setfattr: /x/y: Operation not supported" -> "Operation not supported". */
function causeOf(stderr: string, path: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  const cause = lines.map((l) => l.replace(/^setfattr: /, '').replace(`${path}: `, '')).join('; ');
  return `extended attributes or ACLs not restored: ${cause || 'setfattr failed'}`;
}

/** Collects entries and sets their attributes in batches; `flush` answers the entries that failed. */
export class XattrWriter {
  private pending: XattrTarget[] = [];

  add(target: XattrTarget): void {
    if (target.xattrs.length) this.pending.push(target);
  }

  get due(): boolean {
    return this.pending.length >= ENTRIES_PER_RUN;
  }

  async flush(): Promise<XattrFailure[]> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return [];
    if ((await runSetfattr(batch)).ok) return [];
    const failures: XattrFailure[] = [];
    for (const one of batch) {
      const r = await runSetfattr([one]);
      if (!r.ok) failures.push({ entryPath: one.entryPath, cause: causeOf(r.stderr, one.path) });
    }
    return failures;
  }
}
