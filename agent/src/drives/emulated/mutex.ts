// A minimal async mutex, shared per library directory inside one process, so concurrent load/unload
// calls on two drives (or two library objects opened on the same directory) never interleave their
// read-modify-write of the state files. It does not guard against other processes.
import { resolve } from 'node:path';

export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `fn` once every earlier caller has finished; the lock is released even if `fn` throws. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

const byDirectory = new Map<string, Mutex>();

export function mutexForDirectory(dir: string): Mutex {
  const key = resolve(dir);
  let mutex = byDirectory.get(key);
  if (!mutex) {
    mutex = new Mutex();
    byDirectory.set(key, mutex);
  }
  return mutex;
}
