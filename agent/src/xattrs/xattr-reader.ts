// Reads the extended attributes and POSIX ACLs of many entries with `getfattr` (package attr; Node
// has no xattr API and no npm package with prebuilt binaries installs offline here), many paths per
// process, so a tree of a million entries costs a few thousand processes, not a million. Entries
// are not followed (-h): a symlink's own attributes are read. An entry that vanished since the
// scan is simply absent (its file read reports it); without getfattr nothing is recorded, and the
// caller logs that once.
import { spawn } from 'node:child_process';
import type { ExtendedAttribute } from '@ferrite/proto';
import { parseDump } from './xattr-dump.js';

/** Paths per getfattr run: bounded by count and by argument bytes (well under ARG_MAX). */
const PATHS_PER_RUN = 1000;
const ARG_BYTES_PER_RUN = 256 * 1024;

export type XattrRead = { available: true; byPath: Map<string, ExtendedAttribute[]> } | { available: false; reason: string };

function runGetfattr(paths: string[], signal?: AbortSignal): Promise<{ stdout: Buffer } | { missing: string }> {
  return new Promise((resolve, reject) => {
    // LC_ALL=C: the escapes of names do not depend on the agent's locale.
    const child = spawn('getfattr', ['-h', '-d', '-m', '-', '-e', 'base64', '--absolute-names', ...paths], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, LC_ALL: 'C' },
      signal,
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ENOENT' ? resolve({ missing: 'getfattr (package attr) is not installed' }) : reject(err),
    );
    // Exit 1 means some path could not be read (vanished, permission): the rest is still on stdout.
    child.once('close', () => resolve({ stdout: Buffer.concat(chunks) }));
  });
}

/** The attributes of each path that has any (paths without any are absent from the map). */
export async function readXattrs(paths: readonly string[], signal?: AbortSignal): Promise<XattrRead> {
  const byPath = new Map<string, ExtendedAttribute[]>();
  let i = 0;
  while (i < paths.length) {
    const chunk: string[] = [];
    let bytes = 0;
    while (i < paths.length && chunk.length < PATHS_PER_RUN && (chunk.length === 0 || bytes + paths[i].length < ARG_BYTES_PER_RUN)) {
      bytes += Buffer.byteLength(paths[i]) + 1;
      chunk.push(paths[i++]);
    }
    const result = await runGetfattr(chunk, signal);
    if ('missing' in result) return { available: false, reason: result.missing };
    for (const [path, xattrs] of parseDump(result.stdout)) byPath.set(path, xattrs);
  }
  return { available: true, byPath };
}
