// A backup to a pool with copies 2 on an emulated library with two drives: every object goes to
// both tapes at once, byte for byte the same, each copy reported with its own position; manifests
// are on both tapes; and the files restore from copy 2 alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { text } from 'node:stream/consumers';
import os from 'node:os';
import path from 'node:path';
import { FileType, type FileRecord, type RestoreItem } from '@ferrite/proto';
import { openEmulatedLibrary } from '../../src/drives/emulated/index.js';
import type { MountedVolume, TapeDrive, TapeLibrary } from '../../src/drives/drive.js';
import { runFormatJob } from '../../src/jobs/format-job.js';
import { runBackupJob } from '../../src/jobs/backup-job.js';
import { runRestoreJob } from '../../src/jobs/restore-job.js';
import { JobError, type JobContext } from '../../src/jobs/job-context.js';
import { tapeStatusOf } from '../../src/jobs/tape-handling.js';
import { createLogger } from '../../src/logger.js';
import type { AgentConfig } from '../../src/config/agent-config.js';
import { RecordingServer, recordingJobContext, restoreItemOf } from './recording-server.js';

const log = createLogger('silent');

async function readAll(volume: MountedVolume, relPath: string, start: number, length: number): Promise<Buffer> {
  if (length === 0) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const c of volume.createReadStream(relPath, { start, end: start + length - 1 })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('a backup writing two copies at once', { timeout: 120_000 }, () => {
  let tmp: string;
  let source: string;
  let drives: TapeDrive[];
  let library: TapeLibrary;
  let server: RecordingServer;
  const hashes = new Map<string, string>();
  let ctx: (jobId: string, drive: number, copies?: JobContext['copies']) => JobContext;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-agent-copies-'));
    source = path.join(tmp, 'src');
    await mkdir(path.join(source, 'd'), { recursive: true });
    for (let i = 0; i < 120; i++) {
      const body = randomBytes(100 + i * 31);
      await writeFile(path.join(source, 'd', `s${i}`), body);
      hashes.set(path.join(source, 'd', `s${i}`), createHash('sha256').update(body).digest('hex'));
    }
    for (const n of [1, 2]) {
      const body = randomBytes(2 * 1024 * 1024 + n * 1000);
      await writeFile(path.join(source, `big${n}.bin`), body);
      hashes.set(path.join(source, `big${n}.bin`), createHash('sha256').update(body).digest('hex'));
    }
    ({ library, drives } = await openEmulatedLibrary({
      name: 'lib',
      dir: path.join(tmp, 'lib'),
      slots: 4,
      drives: 2,
      generation: 9,
      capacityBytes: 256 * 1024 * 1024,
      barcodes: ['CPY001L9', 'CPY002L9'],
    }));
    server = new RecordingServer();
    const config = { name: 'agent-c', hostname: 'agent-c', allowedRestoreRoots: [path.join(tmp, 'restores')], progressIntervalMs: 10 } as AgentConfig;
    ctx = (jobId, drive, copies) => recordingJobContext(server, { jobId, drive: drives[drive], library, config, log, copies });
    await runFormatJob(ctx('fmt-1', 0), { barcode: 'CPY001L9', force: false, pool: 'twice' });
    await runFormatJob(ctx('fmt-2', 1), { barcode: 'CPY002L9', force: false, pool: 'twice' });
  });

  after(() => rm(tmp, { recursive: true, force: true }));

  it('writes every object to both tapes, byte-identical, with one location per copy', async () => {
    const spec = {
      barcode: 'CPY001L9',
      paths: [source],
      excludes: [],
      smallFileThreshold: 64 * 1024,
      bundleTargetBytes: 256 * 1024,
      checkpointBytes: 1024 ** 3,
      checkpointFiles: 50,
      runId: '',
    };
    const summary = await runBackupJob(ctx('job-copies', 0, [{ copy: 2, barcode: 'CPY002L9', drive: drives[1], library }]), spec);
    assert.match(summary, /to CPY001L9 and CPY002L9 \(2 copies\)/);
    const records = server.files();
    const withData = records.filter((r) => r.type === FileType.FILE_TYPE_FILE && r.size > 0);
    assert.equal(withData.length, hashes.size);
    const volumes = [await drives[0].mount({ readOnly: true }), await drives[1].mount({ readOnly: true })];
    try {
      assert.deepEqual(
        volumes.map((v) => v.barcode),
        ['CPY001L9', 'CPY002L9'],
      );
      for (const r of withData) {
        assert.deepEqual(
          r.locations.map((l) => [l.copy, l.barcode]),
          [
            [1, 'CPY001L9'],
            [2, 'CPY002L9'],
          ],
          r.path,
        );
        const [one, two] = r.locations;
        assert.equal(one.containerPath, two.containerPath);
        const bytes = await Promise.all([
          readAll(volumes[0], one.containerPath, one.offset, one.length),
          readAll(volumes[1], two.containerPath, two.offset, two.length),
        ]);
        assert.ok(bytes[0].equals(bytes[1]), `${r.path}: both copies hold the same bytes`);
        assert.equal(createHash('sha256').update(bytes[1]).digest('hex'), hashes.get(r.path), r.path);
        assert.equal(Buffer.from(r.sha256).toString('hex'), hashes.get(r.path));
        // Each copy's position was read off its own volume.
        assert.deepEqual(await volumes[1].position(two.containerPath).then((p) => [p.partition, p.startBlock]), [two.partition, two.startBlock]);
        assert.deepEqual(await volumes[0].position(one.containerPath).then((p) => [p.partition, p.startBlock]), [one.partition, one.startBlock]);
      }
      // Every checkpoint's manifest is on both tapes, identical.
      for (const b of server.batches) {
        const [m1, m2] = await Promise.all(volumes.map((v) => text(v.createReadStream(b.manifestPath))));
        assert.equal(m1, m2);
        assert.equal(m1.trim().split('\n').length, b.files.length);
      }
    } finally {
      for (const v of volumes) await v.unmount();
    }
  });

  it('restores every file from copy 2 alone', async () => {
    const records = server.files();
    const item = (r: FileRecord, copy: number): RestoreItem => restoreItemOf(r, copy);
    const withData = records.filter((r) => r.type === FileType.FILE_TYPE_FILE && r.size > 0);
    const items = withData.map((r) => item(r, 2)).sort((a, b) => a.location!.startBlock - b.location!.startBlock || a.location!.offset - b.location!.offset);
    const target = path.join(tmp, 'restores', 'from-copy-2');
    await runRestoreJob(ctx('job-restore', 1), {
      targetDirectory: target,
      stripPrefix: source,
      overwrite: false,
      tapes: [{ barcode: 'CPY002L9', items }],
      metadataItems: records.filter((r) => !withData.includes(r)).map((r) => item(r, 1)),
      streamItems: false,
      entriesTotal: 0,
      bytesTotal: 0,
    });
    for (const [file, sha] of hashes) {
      const restored = await readFile(path.join(target, path.relative(source, file)));
      assert.equal(createHash('sha256').update(restored).digest('hex'), sha, file);
    }
  });

  it('reads a file whose bytes fail their SHA-256 again from the other copy, and fails it only when every copy is bad', async () => {
    const records = server.files();
    const withData = records.filter((r) => r.type === FileType.FILE_TYPE_FILE && r.size > 0);
    const big = withData.find((r) => r.path.endsWith('big1.bin'))!;
    const small = withData.find((r) => r.path.endsWith('/s7'))!;
    // Copy 1 read first; copy 2 named as the alternate, as the catalog plans it.
    const plan = (r: FileRecord): RestoreItem => ({ ...restoreItemOf(r, 1), alternates: [restoreItemOf(r, 2).location!] });
    const spec = (name: string) => ({
      targetDirectory: path.join(tmp, 'restores', name),
      stripPrefix: source,
      overwrite: false,
      tapes: [
        {
          barcode: 'CPY001L9',
          items: withData.map(plan).sort((a, b) => a.location!.startBlock - b.location!.startBlock || a.location!.offset - b.location!.offset),
        },
      ],
      metadataItems: [],
      streamItems: false,
      entriesTotal: 0,
      bytesTotal: 0,
    });
    const flip = async (barcode: string, r: FileRecord, copy: number) => {
      const loc = r.locations.find((l) => (l.copy || 1) === copy)!;
      const file = path.join(tmp, 'lib', 'cartridges', barcode, 'volume', loc.containerPath);
      const bytes = await readFile(file);
      bytes[loc.offset + Math.floor(loc.length / 2)] ^= 0x40;
      await writeFile(file, bytes);
    };
    await flip('CPY001L9', big, 1);
    await flip('CPY001L9', small, 1);
    // Both tapes home in their slots, as an idle library has them: the restore loads what it reads.
    for (const drive of (await library.status()).drives) if (drive.barcode) await library.unload(drive.driveIndex);

    const target = path.join(tmp, 'restores', 'reread');
    await runRestoreJob(ctx('job-reread', 0), spec('reread'));
    for (const [file, sha] of hashes) {
      const restored = await readFile(path.join(target, path.relative(source, file)));
      assert.equal(createHash('sha256').update(restored).digest('hex'), sha, file);
    }
    const notes = server.events.filter((e) => e.jobId === 'job-reread').map((e) => e.message);
    assert.ok(
      notes.some((m) => m.includes('big1.bin: reading it from copy 2 on CPY002L9')),
      notes.join('\n'),
    );

    // Both copies of one file damaged: that file alone fails, named once, after both were read.
    await flip('CPY002L9', small, 2);
    await assert.rejects(runRestoreJob(ctx('job-reread-bad', 0), spec('reread-bad')), (err: JobError) => {
      assert.equal(err.code, 'RESTORE_INCOMPLETE');
      assert.match(err.message, /^1 of \d+ files could not be restored: ".*\/s7" \(SHA-256 mismatch on read-back \(tape CPY002L9/);
      return true;
    });
    await assert.rejects(readFile(path.join(tmp, 'restores', 'reread-bad', 'd', 's7')), { code: 'ENOENT' });
    const restoredBig = await readFile(path.join(tmp, 'restores', 'reread-bad', 'big1.bin'));
    assert.equal(createHash('sha256').update(restoredBig).digest('hex'), hashes.get(path.join(source, 'big1.bin')));
  });
});

describe('a backup writing two copies when one tape fills up', { timeout: 120_000 }, () => {
  let tmp: string;

  after(() => rm(tmp, { recursive: true, force: true }));

  it('stops where copy 2 must change tapes and no next tape can be had (TAPE_FULL), and what it reported is on both tapes', async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-agent-copies-full-'));
    const source = path.join(tmp, 'src');
    await mkdir(source, { recursive: true });
    const hashes = new Map<string, string>();
    for (let i = 0; i < 8; i++) {
      const body = randomBytes(2 * 1024 * 1024);
      await writeFile(path.join(source, `large${i}.bin`), body);
      hashes.set(path.join(source, `large${i}.bin`), createHash('sha256').update(body).digest('hex'));
    }
    const { library, drives } = await openEmulatedLibrary({
      name: 'lib',
      dir: path.join(tmp, 'lib'),
      slots: 4,
      drives: 2,
      generation: 9,
      capacityBytes: 64 * 1024 * 1024,
      barcodes: ['FUL001L9', 'FUL002L9'],
    });
    const server = new RecordingServer();
    const config = { name: 'agent-f', hostname: 'agent-f', allowedRestoreRoots: [tmp], progressIntervalMs: 10 } as AgentConfig;
    const ctx = (jobId: string, drive: number, copies?: JobContext['copies']): JobContext =>
      recordingJobContext(server, { jobId, drive: drives[drive], library, config, log, copies });
    await runFormatJob(ctx('fmt-1', 0), { barcode: 'FUL001L9', force: false, pool: '' });
    await runFormatJob(ctx('fmt-2', 1), { barcode: 'FUL002L9', force: false, pool: '' });
    // Copy 2's tape already holds other data: 7.5 MiB are left before its early-warning zone (the last 2 MiB).
    const second = await drives[1].mount({ readOnly: false });
    const space = await second.space();
    await pipeline(Readable.from([Buffer.alloc(space.availableBytes - 9.5 * 1024 * 1024)]), await second.createWriteStream('filler.bin'));
    await second.unmount();

    const spec = {
      barcode: 'FUL001L9',
      paths: [source],
      excludes: [],
      smallFileThreshold: 64 * 1024,
      bundleTargetBytes: 256 * 1024,
      checkpointBytes: 1024 ** 3,
      checkpointFiles: 100,
      runId: '',
    };
    const jobCtx = ctx('job-full', 0, [{ copy: 2, barcode: 'FUL002L9', drive: drives[1], library }]);
    const failure = await runBackupJob(jobCtx, spec).then(
      () => null,
      (err: unknown) => err,
    );
    assert.ok(failure instanceof JobError, String(failure));
    assert.equal(failure.code, 'TAPE_FULL');
    // The file that does not fit is cut where copy 2's tape ends; with no next tape to go on, it stops there.
    assert.match(failure.message, /tape FUL002L9 reached its early-warning zone in the middle of .*large\d\.bin/);
    // The job's last report says which tape it left full (copy 2's), so the catalog never picks it again.
    assert.deepEqual([...(jobCtx.fullTapes ?? [])], ['FUL002L9']);
    assert.equal((await tapeStatusOf(jobCtx, drives[1]))?.full, true);
    assert.equal((await tapeStatusOf(jobCtx, drives[0]))?.full, false);

    const reported = server.files().filter((r) => r.type === FileType.FILE_TYPE_FILE);
    assert.ok(reported.length > 0 && reported.length < hashes.size, `${reported.length} of ${hashes.size} files confirmed before the stop`);
    const volumes = [await drives[0].mount({ readOnly: true }), await drives[1].mount({ readOnly: true })];
    try {
      for (const r of reported) {
        assert.deepEqual(
          r.locations.map((l) => l.barcode),
          ['FUL001L9', 'FUL002L9'],
        );
        for (const [i, l] of r.locations.entries()) {
          const bytes = await readAll(volumes[i], l.containerPath, l.offset, l.length);
          assert.equal(createHash('sha256').update(bytes).digest('hex'), hashes.get(r.path), `${r.path} on ${l.barcode}`);
        }
      }
    } finally {
      for (const v of volumes) await v.unmount();
    }
  });
});
