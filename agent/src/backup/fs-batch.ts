// Batched file-system calls in a worker thread (body in fs-worker.ts): `lstat` and whole-file reads of
// many paths per message. Used by the source scan and the small-file reader, where per-call latency,
// not bandwidth, bounds the backup. A system call that hangs (a dead NFS server) blocks the worker,
// never the agent's event loop, so heartbeats and cancellation keep working.
import { Worker } from 'node:worker_threads';
import type { SplitTime } from './file-time.js';

export type StatKind = 'file' | 'directory' | 'symlink' | 'fifo' | 'char-device' | 'block-device' | 'other';
export type StatResult =
  | {
      ok: true;
      kind: StatKind;
      size: number;
      mtime: SplitTime;
      ctime: SplitTime;
      mode: number;
      uid: number;
      gid: number;
      ino: number;
      nlink: number;
      dev: number;
      blocks: number;
      rdevMajor: number;
      rdevMinor: number;
    }
  | { ok: false; code: string; message: string };
/** A whole file's bytes and its lstat taken right after the read. */
export type ReadResult = { ok: true; data: Uint8Array; after: StatResult } | { ok: false; code: string; message: string };

export type FsRequest = { id: number; op: 'lstat' | 'read'; paths: string[] };
export type FsResponse = { id: number; op: 'lstat'; results: StatResult[] } | { id: number; op: 'read'; results: ReadResult[] };

/** An error carrying the errno code of a failed call, like the ones `node:fs` throws. */
export function fsError(r: { code: string; message: string }): NodeJS.ErrnoException {
  return Object.assign(new Error(r.message), { code: r.code });
}

export class FsBatchWorker {
  private readonly worker = new Worker(new URL('./fs-worker.js', import.meta.url));
  private readonly pending = new Map<number, { resolve: (r: FsResponse) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failed: Error | null = null;

  constructor() {
    // An idle worker must not keep the agent alive.
    this.worker.unref();
    this.worker.on('message', (res: FsResponse) => {
      const p = this.pending.get(res.id);
      this.pending.delete(res.id);
      p?.resolve(res);
    });
    const fail = (err: Error) => {
      this.failed = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`file-system worker exited (code ${code})`)));
  }

  async lstat(paths: string[]): Promise<StatResult[]> {
    const res = await this.call('lstat', paths);
    return res.results as StatResult[];
  }

  /** Whole files; `data` is a Buffer on this side. */
  async read(paths: string[]): Promise<Array<{ ok: true; data: Buffer; after: StatResult } | { ok: false; code: string; message: string }>> {
    const res = await this.call('read', paths);
    return (res.results as ReadResult[]).map((r) =>
      r.ok ? { ok: true as const, data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength), after: r.after } : r,
    );
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private call(op: FsRequest['op'], paths: string[]): Promise<FsResponse> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, paths } satisfies FsRequest);
    });
  }
}
