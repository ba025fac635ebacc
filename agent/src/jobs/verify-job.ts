// VERIFY: re-read objects from tape and compare their SHA-256 with the catalog's. One tape at a
// time, items in the server's start-block order so the tape only moves forward. Every byte really
// comes off the volume (nothing is written anywhere); a mismatch, a short object or a read error is
// logged with where it lies and counted against its tape, and the job goes on to the next object, so
// one bad spot does not hide the rest. The per-tape counts travel with the job's last event
// (JobContext.verifiedTapes), which is what lets the catalog mark a tape SUSPECT.
import { createHash } from 'node:crypto';
import type { RestoreItem, VerifiedTape, VerifySpec } from '@ferrite/proto';
import type { MountedVolume } from '../drives/drive.js';
import { JobError, throwIfCancelled, type JobContext } from './job-context.js';
import { ensureLoaded, mountChecked } from './tape-handling.js';
import { expectLabel } from './volume-label.js';

interface Totals {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

export async function runVerifyJob(ctx: JobContext, spec: VerifySpec): Promise<string> {
  if (spec.streamItems && !ctx.verifyItems)
    throw new JobError('INVALID_SPEC', 'this verify reads its objects from the server, and the job has no server to ask');
  spec.tapes.flatMap((t) => t.items).forEach(checkItem);
  const totals: Totals = spec.streamItems
    ? { bytesDone: 0, bytesTotal: spec.bytesTotal, filesDone: 0, filesTotal: spec.objectsTotal }
    : {
        bytesDone: 0,
        bytesTotal: spec.tapes.reduce((n, t) => n + t.items.reduce((m, i) => m + i.location!.length, 0), 0),
        filesDone: 0,
        filesTotal: spec.tapes.reduce((n, t) => n + t.items.length, 0),
      };
  const results: VerifiedTape[] = (ctx.verifiedTapes ??= []);
  for (const tape of spec.tapes) {
    throwIfCancelled(ctx.signal);
    const items = spec.streamItems ? streamedItems(ctx, tape.barcode) : inline(tape.items);
    results.push(await verifyTape(ctx, tape.barcode, items, totals));
  }
  await ctx.reporter.finalProgress({ ...totals, currentFile: '', currentTape: '' });

  const failed = results.reduce((n, r) => n + r.objectsFailed, 0);
  const tapes = results.map((r) => r.barcode).join(', ');
  if (failed > 0) {
    const bad = results.filter((r) => r.objectsFailed > 0).map((r) => `${r.barcode}: ${r.objectsFailed}`);
    throw new JobError(
      'VERIFY_FAILED',
      `${failed} of ${totals.filesDone} object(s) did not read back with their SHA-256 (${bad.join('; ')}); the job log names each one`,
    );
  }
  return `verified ${totals.filesDone} object(s), ${totals.bytesDone} bytes read back from ${tapes}: every SHA-256 matched`;
}

function checkItem(item: RestoreItem): void {
  if (!item.location || item.sha256.length !== 32)
    throw new JobError('INVALID_SPEC', `verify item ${describe(item)} has no tape location or no SHA-256 to compare with`);
}

async function* inline(items: RestoreItem[]): AsyncIterable<RestoreItem> {
  yield* items;
}

/** The tape's objects from the server, a page at a time (the stream pauses while a page is read). */
async function* streamedItems(ctx: JobContext, barcode: string): AsyncIterable<RestoreItem> {
  for await (const page of ctx.verifyItems!(barcode)) {
    for (const item of page.items) {
      checkItem(item);
      yield item;
    }
  }
}

async function verifyTape(ctx: JobContext, barcode: string, items: AsyncIterable<RestoreItem>, totals: Totals): Promise<VerifiedTape> {
  const result: VerifiedTape = { barcode, objectsChecked: 0, objectsFailed: 0, bytesRead: 0 };
  await ensureLoaded(ctx, barcode);
  const volume = await mountChecked(ctx, true);
  try {
    await expectLabel(volume, barcode);
    for await (const item of items) {
      throwIfCancelled(ctx.signal);
      ctx.reporter.progress({ ...totals, currentFile: describe(item), currentTape: barcode });
      const problem = await readBack(ctx, volume, item, (n) => {
        totals.bytesDone += n;
        result.bytesRead += n;
      });
      result.objectsChecked++;
      totals.filesDone++;
      if (problem) {
        result.objectsFailed++;
        await ctx.reporter.note(
          'error',
          `${describe(item)} on ${barcode} (${item.location!.containerPath}@${item.location!.offset}, block ${item.location!.startBlock}): ${problem}`,
        );
      }
    }
  } finally {
    await volume.unmount();
  }
  await ctx.reporter.note(
    result.objectsFailed ? 'error' : 'info',
    `${barcode}: ${result.objectsChecked} object(s) read back, ${result.objectsFailed} failed, ${result.bytesRead} bytes`,
  );
  return result;
}

/** Reads one object and returns what is wrong with it, or null when it hashes as recorded. */
async function readBack(ctx: JobContext, volume: MountedVolume, item: RestoreItem, counted: (bytes: number) => void): Promise<string | null> {
  const loc = item.location!;
  const hash = createHash('sha256');
  let length = 0;
  try {
    const stream = volume.createReadStream(loc.containerPath, { start: loc.offset, end: loc.offset + loc.length - 1 });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (ctx.signal.aborted) {
        stream.destroy();
        throw new JobError('CANCELLED', 'the job was cancelled');
      }
      hash.update(chunk);
      length += chunk.length;
      counted(chunk.length);
    }
  } catch (err) {
    if (err instanceof JobError) throw err;
    return `could not be read: ${(err as Error).message}`;
  }
  if (length !== loc.length) return `only ${length} of ${loc.length} bytes could be read`;
  const digest = hash.digest();
  if (!digest.equals(Buffer.from(item.sha256)))
    return `SHA-256 mismatch: read ${digest.toString('hex')}, catalog has ${Buffer.from(item.sha256).toString('hex')}`;
  return null;
}

function describe(item: RestoreItem): string {
  const what = item.path || `content ${Buffer.from(item.sha256).toString('hex')}`;
  // A segment of a file spanning tapes is checked against its own hash: say which piece it is.
  const loc = item.location;
  return loc?.segmentSha256?.length ? `${what} (segment ${loc.segment} at file offset ${loc.fileOffset})` : what;
}
