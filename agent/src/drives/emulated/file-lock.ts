// A cross-process lock on a lock file, for the emulator's state that more than one process changes:
// library.json (the agent and the `ferrite-emulated` operator tool) and a shared shelf's holder
// records (every library sharing the shelf). The in-process Mutex (mutex.ts) cannot do this.
//
// Taking the lock creates the file exclusively (O_CREAT|O_EXCL, atomic on a local file system) with
// the owner's pid and a nonce in it; releasing deletes it. Critical sections are a few file reads and
// one atomic write, so waiters poll briefly. A lock whose owner process is gone (killed while holding
// it) is stale and is broken: only when the file still has the content judged stale, so a waiter
// never deletes a lock someone else has just taken.
import { randomBytes } from 'node:crypto';
import { open, readFile, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FileLockOptions {
  /** How long to wait for a live owner before giving up (default 15 s). */
  timeoutMs?: number;
}

/** Runs `fn` holding the lock file `lockPath` (its directory must exist); released even if `fn` throws. */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const token = await acquire(lockPath, options.timeoutMs ?? 15_000);
  try {
    return await fn();
  } finally {
    await release(lockPath, token);
  }
}

const EMPTY_LOCK_STALE_MS = 5_000;

async function acquire(lockPath: string, timeoutMs: number): Promise<string> {
  const token = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx');
      try {
        await fh.writeFile(token);
      } finally {
        await fh.close();
      }
      return token;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = await readOwner(lockPath);
    if (held === null) continue; // released meanwhile: try again at once
    const pid = Number.parseInt(held, 10);
    // An empty file is a writer between the exclusive create and writing its token: stale only if
    // it stays empty for long (its writer died right there).
    const stale = Number.isInteger(pid) ? !processAlive(pid) : await olderThan(lockPath, EMPTY_LOCK_STALE_MS);
    if (stale) {
      if ((await readOwner(lockPath)) === held) await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for lock ${lockPath}, held by process ${pid}`);
    }
    await sleep(5 + Math.floor(Math.random() * 10));
  }
}

async function release(lockPath: string, token: string): Promise<void> {
  if ((await readOwner(lockPath)) === token) await rm(lockPath, { force: true });
}

async function readOwner(lockPath: string): Promise<string | null> {
  try {
    return await readFile(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > ms;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
