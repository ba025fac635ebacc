// Packs small files into one plain tar bundle (ustar, with pax extended headers for names that are
// long or not ASCII) written to a Writable, usually a tape volume's write stream. Every member's data
// offset inside the bundle is returned, so a restore can read just [offset, offset + length).
//
// tar-stream builds the headers; the offsets come from counting the bytes its pack stream emits.
// Members are packed strictly one at a time and the pack stream is drained before the next one starts,
// so when a member's entry has been fully emitted the running count is exactly the end of that member
// (its data then padding to 512 bytes), and offset = end - padding - size holds for any header size.
import type { Writable } from 'node:stream';
import tar from 'tar-stream';

export interface BundleMember {
  /** Member name as stored (no leading '/', no trailing '/'). Any characters; pax when needed. */
  name: string;
  /** Must equal data.length; kept so a caller's size is checked against the bytes. */
  size: number;
  /** Permission bits (the file type bits are ignored). */
  mode: number;
  mtimeMs: number;
  /** The member's bytes. The writer keeps a reference until they are written: do not reuse the buffer. */
  data: Buffer;
}

export interface BundleMemberLocation {
  /** Byte offset of the member's data inside the bundle. */
  offset: number;
  length: number;
}

const TAR_BLOCK = 512;
/** Small chunks (headers, small members) are gathered into writes of about this size. */
const COALESCE_BYTES = 1024 * 1024;
const DIRECT_WRITE_BYTES = 64 * 1024;
/** Largest mtime a ustar header holds (11 octal digits of seconds). */
const MAX_USTAR_SECONDS = 0o77777777777;
const S_IFREG = 0o100000;

export class BundleWriter {
  private readonly pack = tar.pack();
  private emitted = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private failure: Error | null = null;
  private waiter: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private finished = false;

  constructor(private readonly out: Writable) {
    out.on('error', (err) => this.fail(err));
    out.on('drain', () => this.wake());
    out.on('finish', () => this.wake());
    out.on('close', () => {
      if (!out.writableFinished) this.fail(new Error('the bundle output closed before the bundle was finished'));
    });
    this.pack.on('readable', () => this.wake());
    this.pack.on('error', (err: Error) => this.fail(err));
  }

  /** Bundle bytes produced so far (the bundle's size once finish() has returned). */
  get bytesWritten(): number {
    return this.emitted;
  }

  /** Appends a member; calls are queued, so members land in call order. */
  add(member: BundleMember): Promise<BundleMemberLocation> {
    return this.enqueue(() => this.addNow(member));
  }

  /** Writes the end-of-archive blocks, ends `out` and waits until it has flushed. */
  finish(): Promise<void> {
    return this.enqueue(async () => {
      if (this.finished) return;
      this.finished = true;
      let ended = false;
      this.pack.once('end', () => {
        ended = true;
        this.wake();
      });
      this.pack.finalize();
      await this.pump(() => ended);
      await this.flush();
      this.out.end();
      while (!this.out.writableFinished) await this.wait();
    });
  }

  /** Abandons the bundle: destroys the pack stream and `out`. */
  destroy(err?: Error): void {
    this.fail(err ?? new Error('bundle writer destroyed'));
    this.out.destroy(err);
  }

  private async addNow(member: BundleMember): Promise<BundleMemberLocation> {
    if (this.finished) throw new Error('bundle writer is finished');
    validate(member);
    const seconds = Math.floor(member.mtimeMs / 1000);
    const ustarTime = seconds >= 0 && seconds <= MAX_USTAR_SECONDS;
    let entryDone = false;
    const entry: { error: Error | null } = { error: null };
    this.pack.entry(
      {
        name: member.name,
        type: 'file',
        size: member.data.length,
        // A file-type bit keeps mode 0 from being read as "unset" (tar-stream would write 0644).
        mode: S_IFREG | (member.mode & 0o7777),
        mtime: new Date(ustarTime ? seconds * 1000 : 0),
        // Times a ustar header cannot hold (before 1970, after 2242) go in a pax record.
        ...(ustarTime ? {} : { pax: { mtime: String(seconds) } }),
      },
      member.data,
      (err) => {
        entryDone = true;
        entry.error = err ?? null;
        this.wake();
      },
    );
    await this.pump(() => entryDone);
    if (entry.error) throw entry.error;
    const padding = (TAR_BLOCK - (member.data.length % TAR_BLOCK)) % TAR_BLOCK;
    return { offset: this.emitted - padding - member.data.length, length: member.data.length };
  }

  /** Moves everything the pack stream has emitted towards `out` until `done()` holds. */
  private async pump(done: () => boolean): Promise<void> {
    for (;;) {
      this.throwIfFailed();
      const chunk = this.pack.read() as Buffer | null;
      if (chunk !== null) {
        this.emitted += chunk.length;
        if (chunk.length >= DIRECT_WRITE_BYTES) {
          await this.flush();
          await this.write(chunk);
        } else {
          this.pending.push(chunk);
          this.pendingBytes += chunk.length;
          if (this.pendingBytes >= COALESCE_BYTES) await this.flush();
        }
        continue;
      }
      if (done()) return;
      await this.wait();
    }
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await this.write(data);
  }

  private async write(data: Buffer): Promise<void> {
    this.throwIfFailed();
    if (!this.out.write(data)) {
      while (this.out.writableNeedDrain) await this.wait();
    }
  }

  private wait(): Promise<void> {
    this.throwIfFailed();
    return new Promise<void>((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.resolve();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.pack.destroy(err);
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(err);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function validate(member: BundleMember): void {
  if (!Buffer.isBuffer(member.data)) throw new TypeError(`bundle member ${JSON.stringify(member.name)}: data must be a Buffer`);
  if (member.size !== member.data.length) {
    throw new RangeError(`bundle member ${JSON.stringify(member.name)}: size ${member.size} but ${member.data.length} bytes of data`);
  }
  if (member.name === '' || member.name.endsWith('/') || member.name.includes('\0')) {
    throw new RangeError(`invalid bundle member name ${JSON.stringify(member.name)}`);
  }
  if (!Number.isFinite(member.mtimeMs)) throw new RangeError(`bundle member ${JSON.stringify(member.name)}: invalid mtime`);
}
