// The tapes a backup writes, and how it moves on when one is full. Copy 1 goes in the job's drive,
// copies 2..N in their own drives; when a copy's tape reaches its early-warning zone, between two
// objects or in the middle of a file that does not fit, the server marks it FULL and names the next
// tape (NextTape), which is loaded into the same drive, checked and given the job header, so each
// tape can be rebuilt alone. With no tape yet the job waits and asks again; a server that cannot
// span ends the job with TAPE_FULL.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobEventType, type TapeStatus } from '@ferrite/proto';
import type { TapeDrive, TapeLibrary } from '../drives/drive.js';
import { CopyVolumes, type CopyVolume } from '../backup/copy-volumes.js';
import type { Checkpointer, JobHeader } from '../backup/checkpoint.js';
import { jobHeaderPath } from '../backup/tape-paths.js';
import { JobError, throwIfCancelled, type JobContext } from './job-context.js';
import { ensureLoaded, mountChecked, tapeStatusOf } from './tape-handling.js';
import { readLabel } from './volume-label.js';
import { RefusalTally } from './refusal-tally.js';

type CopyPlace = { drive: TapeDrive; library: TapeLibrary | null };

/** The header goes on every copy before any data, so each tape alone can rebuild the job's runs. */
export async function writeJobHeader(volumes: CopyVolumes, header: JobHeader): Promise<void> {
  const out = await volumes.createWriteStream(jobHeaderPath(header.job, header.attempt));
  await pipeline(Readable.from([Buffer.from(JSON.stringify(header) + '\n')]), out);
}

/** Loads the copy's tape into its drive, mounts it read-write and checks its label (unmounted again on a mismatch). */
async function mountCopy(ctx: JobContext, w: CopyPlace & { copy: number; barcode: string }): Promise<CopyVolume> {
  await ensureLoaded(ctx, w.barcode, w.drive, w.library);
  const volume = await mountChecked(ctx, false, w.drive);
  const label = await readLabel(volume).catch(() => null);
  if (!label || label.barcode !== w.barcode) {
    await volume.unmount().catch(() => undefined);
    throw new JobError(
      'LABEL_MISMATCH',
      label
        ? `tape in drive ${w.drive.identity.name} is labelled ${label.barcode}, expected ${w.barcode}`
        : `tape ${w.barcode} has no Ferrite label: format it first`,
    );
  }
  return { copy: w.copy, barcode: w.barcode, volume };
}

/**
 * Loads and mounts copy 1 in the job's drive and each further copy in its own drive, one after the
 * other (they may share a robot), and checks every label; on any failure the ones already mounted
 * are unmounted again.
 */
export async function mountCopies(ctx: JobContext, barcode: string): Promise<CopyVolumes> {
  const wanted: NonNullable<JobContext['copies']> = [{ copy: 1, barcode, drive: ctx.drive, library: ctx.library }, ...(ctx.copies ?? [])];
  const mounted: CopyVolume[] = [];
  try {
    for (const w of wanted) mounted.push(await mountCopy(ctx, w));
  } catch (err) {
    await Promise.allSettled(mounted.map((m) => m.volume.unmount()));
    throw err;
  }
  if (mounted.length > 1)
    await ctx.reporter.note(
      'info',
      `writing ${mounted.length} copies at once: ${wanted.map((w) => `copy ${w.copy} on ${w.barcode} in ${w.drive.identity.name}`).join(', ')}`,
    );
  return new CopyVolumes(mounted);
}

export class TapeChanger {
  /** Changes run one at a time: two copies may share a robot, and the server answers in order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Copies whose full tape was already unmounted and ejected while waiting at a standalone drive. */
  private readonly ejected = new Set<CopyVolume>();

  constructor(
    private readonly ctx: JobContext,
    readonly volumes: CopyVolumes,
    private readonly header: () => JobHeader,
  ) {}

  /**
   * Between two objects: every copy whose tape reached its early-warning zone goes on on a next
   * tape, once what was written so far is confirmed (manifest, index sync, records reported).
   * `remaining` says how many objects are left: with none, nothing changes.
   */
  async continueAtEarlyWarning(checkpoint: Checkpointer, remaining: number): Promise<void> {
    if (remaining === 0) return;
    const full = await this.volumes.atEarlyWarning();
    if (full.length === 0) return;
    await checkpoint.flush();
    for (const copy of full) await this.change(copy, `with ${remaining} file(s) left to write`);
  }

  /**
   * Copy `copy` leaves its full tape (unmounted, so its index is written) and goes on on the next
   * one, which replaces it in `volumes`. `why` completes the TAPE_FULL message when no next tape
   * can be had.
   */
  change(copy: CopyVolume, why: string): Promise<CopyVolume> {
    const run = this.queue.then(() => this.changeNow(copy, why));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async changeNow(copy: CopyVolume, why: string): Promise<CopyVolume> {
    const ctx = this.ctx;
    const where = this.placeOf(copy.copy);
    const status = await tapeStatusOf(ctx, where.drive);
    const standalone = where.library === null && where.drive.eject !== undefined;
    const next = status ? await (standalone ? this.askAtStandaloneDrive(copy, status, where.drive) : this.askForNextTape(copy, status)) : null;
    if (!next) throw new JobError('TAPE_FULL', `tape ${copy.barcode} reached its early-warning zone ${why}`);
    if (!this.ejected.delete(copy)) await copy.volume.unmount();
    await ctx.reporter.note('info', `tape ${copy.barcode} is full${this.volumes.copies.length > 1 ? ` (copy ${copy.copy})` : ''}; continuing on ${next}`);
    const mounted = await mountCopy(ctx, { ...where, copy: copy.copy, barcode: next });
    this.volumes.replace(mounted);
    await writeJobHeader(new CopyVolumes([mounted]), this.header());
    return mounted;
  }

  /** The drive (and library) that writes copy `copy`. */
  private placeOf(copy: number): CopyPlace {
    if (copy === 1) return { drive: this.ctx.drive, library: this.ctx.library };
    const c = this.ctx.copies?.find((x) => x.copy === copy);
    if (!c) throw new Error(`no drive for copy ${copy}`);
    return { drive: c.drive, library: c.library };
  }

  /**
   * A standalone drive (no changer): the first ask marks the tape FULL; with no next tape named,
   * the full tape is unmounted and ejected for the operator, whom the server asks (an operator
   * request naming the drive and host) to insert a scratch tape of the pool. The job then looks into
   * the drive every standalonePollMs and asks again whenever a cartridge is in it; a cartridge the
   * server keeps refusing (not a writable tape of the pool) is reported (WRONG_CARTRIDGE), never
   * written to, and ejected. Null: the server cannot span.
   */
  private async askAtStandaloneDrive(copy: CopyVolume, full: TapeStatus, drive: TapeDrive): Promise<string | null> {
    const ctx = this.ctx;
    if (!ctx.nextTape) return null;
    const first = await ctx.nextTape(copy.copy, full);
    if (!first) return null;
    if (first.barcode) return first.barcode;
    await copy.volume.unmount();
    this.ejected.add(copy);
    await ctx.reporter.note(
      'warn',
      `waiting for a next tape after ${copy.barcode}: ${first.waitReason}; ejecting ${copy.barcode} from ${drive.identity.name} for the operator`,
    );
    await drive.eject!();
    const refusals = new RefusalTally(3);
    for (;;) {
      throwIfCancelled(ctx.signal);
      await sleep(ctx.standalonePollMs ?? ctx.config?.standalonePollMs ?? 2000, undefined, { signal: ctx.signal }).catch(() => undefined);
      throwIfCancelled(ctx.signal);
      const inDrive = (await drive.loaded().catch(() => null))?.barcode ?? null;
      if (inDrive === null) continue;
      const answer = await ctx.nextTape(copy.copy, full);
      if (!answer) return null;
      // Another tape named (not the one in the drive): mountCopy asks the operator for it.
      if (answer.barcode) return answer.barcode;
      if (!refusals.refuse(inDrive)) continue;
      const message = `WRONG_CARTRIDGE: ${inDrive} was inserted into ${drive.identity.name}, but it cannot continue this backup (${answer.waitReason || `the server named ${answer.barcode}`}): it is not written to and is ejected`;
      await ctx.reporter.event(JobEventType.JOB_EVENT_TYPE_LOG, { message, level: 'warn', errorCode: 'WRONG_CARTRIDGE' }).catch(() => undefined);
      await drive.eject!().catch((err: Error) => ctx.reporter.note('warn', `could not eject ${inDrive}: ${err.message}`));
    }
  }

  /** Asks until the server names a tape (waiting between asks, noting each new reason); null: it cannot span. */
  private async askForNextTape(copy: CopyVolume, full: TapeStatus): Promise<string | null> {
    const ctx = this.ctx;
    if (!ctx.nextTape) return null;
    let lastReason = '';
    for (;;) {
      throwIfCancelled(ctx.signal);
      const answer = await ctx.nextTape(copy.copy, full);
      if (!answer) return null;
      if (answer.barcode) return answer.barcode;
      if (answer.waitReason !== lastReason) await ctx.reporter.note('warn', `waiting for a next tape after ${copy.barcode}: ${answer.waitReason}`);
      lastReason = answer.waitReason;
      await sleep(ctx.nextTapeRetryMs ?? 30_000, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
  }
}
