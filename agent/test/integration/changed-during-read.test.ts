// A file that changed while the backup read it (issue 16 part 4), for bundled and large files and
// each onChange mode, a FIFO swapped in for a file after the scan, and a name that is not UTF-8.
// Real files, the job handlers, an emulated library. The changes are made from the job's test hooks
// (JobContext.backupHooks), so they happen at a known point of the read, never by lucky timing:
// `duringRead` appends to a large file after its first 4 MiB chunk, while it is being read;
// `afterPlan` changes a file between the scan and its read (a bundled file is read whole in one
// system call, so that is the window a real writer hits); `beforeReadAgain` changes a file again
// before RETRY's second read.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, linkSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OnChange, type FileRecord, type RestoreSpec } from '@ferrite/proto';
import { openEmulatedLibrary } from '../../src/drives/emulated/index.js';
import { runFormatJob } from '../../src/jobs/format-job.js';
import { runBackupJob } from '../../src/jobs/backup-job.js';
import { runRestoreJob } from '../../src/jobs/restore-job.js';
import { JobError, type BackupHooks, type JobContext } from '../../src/jobs/job-context.js';
import { recordFromManifestLine } from '../../src/backup/checkpoint.js';
import { createLogger } from '../../src/logger.js';
import type { AgentConfig } from '../../src/config/agent-config.js';
import { RecordingServer, recordingJobContext, restoreItemOf } from './recording-server.js';

const BARCODE = 'CHG001L9';
const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** 12 MiB of a pattern: three 4 MiB chunks of hashingCopy, so an append after the first is mid-read. */
function bigContent(seed: number): Buffer {
  const b = Buffer.alloc(12 * MiB);
  for (let i = 0; i < b.length; i += 4096) b.writeUInt32LE((i / 4096 + seed) >>> 0, i);
  return b;
}

describe('a file that changed while it was read', { timeout: 180_000 }, () => {
  let tmp: string;
  let server: RecordingServer;
  let ctx: (jobId: string, hooks?: BackupHooks) => JobContext;
  let volumeDir: string;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-changed-'));
    const libDir = path.join(tmp, 'lib');
    const { library, drives } = await openEmulatedLibrary({
      name: 'lib',
      dir: libDir,
      slots: 2,
      drives: 1,
      generation: 9,
      capacityBytes: 512 * MiB,
      barcodes: [BARCODE],
    });
    volumeDir = path.join(libDir, 'cartridges', BARCODE, 'volume');
    server = new RecordingServer();
    const config = { name: 'agent-x', hostname: 'agent-x', allowedRestoreRoots: [path.join(tmp, 'restores')], progressIntervalMs: 10 } as AgentConfig;
    ctx = (jobId, hooks) => ({ ...recordingJobContext(server, { jobId, drive: drives[0], library, config, log: createLogger('silent') }), backupHooks: hooks });
    await runFormatJob(ctx('job-format'), { barcode: BARCODE, force: false, pool: '' });
  });

  after(() => rm(tmp, { recursive: true, force: true }));

  /** A source tree of its own: `small.txt` (bundled), `big.bin` (its own object), `other.txt`. */
  function source(name: string): string {
    const dir = path.join(tmp, name);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'small.txt'), 'small, as scanned\n');
    writeFileSync(path.join(dir, 'other.txt'), 'never changes\n');
    writeFileSync(path.join(dir, 'big.bin'), bigContent(1));
    return dir;
  }

  function backup(jobId: string, dir: string, onChange: OnChange | undefined, hooks: BackupHooks): Promise<string> {
    // Files from 1 MiB up are their own objects; below, bundled.
    const spec = {
      barcode: BARCODE,
      paths: [dir],
      excludes: [],
      smallFileThreshold: MiB,
      bundleTargetBytes: 0,
      checkpointBytes: 0,
      checkpointFiles: 0,
      runId: '',
    };
    return runBackupJob(ctx(jobId, hooks), { ...spec, onChange });
  }

  const recordsOf = (jobId: string) => server.batches.filter((b) => b.jobId === jobId).flatMap((b) => b.files);
  const record = (jobId: string, p: string) => recordsOf(jobId).filter((r) => r.path === p);
  const warnings = (jobId: string) => server.events.filter((e) => e.jobId === jobId && e.level === 'warn').map((e) => [e.path, e.message]);

  /** The job's manifest lines on the tape, as records. */
  function manifestRecords(jobId: string): FileRecord[] {
    const dir = path.join(volumeDir, 'ferrite/manifests');
    return readdirSync(dir)
      .filter((f) => f.startsWith(`${jobId}-`) && f.endsWith('.jsonl'))
      .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').trim().split('\n').map(recordFromManifestLine));
  }

  it('FLAG, large: appended to mid-read, recorded as read and flagged (its hard link too), on tape and in the log', async () => {
    const dir = source('flag-large');
    const big = path.join(dir, 'big.bin');
    linkSync(big, path.join(dir, 'zz-link'));
    const summary = await backup('job-flag-large', dir, OnChange.ON_CHANGE_FLAG, {
      duringRead: (p) => {
        if (p === big) appendFileSync(big, 'written while the backup read the file\n');
      },
    });
    const [r] = record('job-flag-large', big);
    assert.equal(r.changedDuringBackup, true);
    // What was read: the first chunk was already read when the append landed; whether the last
    // read saw the tail depends on the kernel, so the record says which, and its hash matches it.
    assert.ok(r.size === 12 * MiB || r.size === 12 * MiB + 39, String(r.size));
    assert.equal(Buffer.from(r.sha256).toString('hex'), sha(readFileSync(big).subarray(0, r.size)));
    assert.equal(record('job-flag-large', path.join(dir, 'zz-link'))[0].changedDuringBackup, true);
    for (const p of ['small.txt', 'other.txt']) assert.equal(record('job-flag-large', path.join(dir, p))[0].changedDuringBackup, false);
    assert.deepEqual(warnings('job-flag-large'), [
      [big, `${big}: changed while it was read (size ${12 * MiB} -> ${12 * MiB + 39} bytes, mtime, ctime); saved as read and flagged changedDuringBackup`],
    ]);
    assert.match(summary, /; 1 changed while they were read and were saved as read, flagged/);
    // The manifest on tape carries it (a rebuild reads it back), and only for it and its link.
    const onTape = manifestRecords('job-flag-large');
    assert.deepEqual(
      onTape
        .filter((m) => m.changedDuringBackup)
        .map((m) => path.basename(m.path))
        .sort(),
      ['big.bin', 'zz-link'],
    );
  });

  it('FLAG, bundled: changed between scan and read, recorded as read and flagged', async () => {
    const dir = source('flag-small');
    const small = path.join(dir, 'small.txt');
    await backup('job-flag-small', dir, OnChange.ON_CHANGE_FLAG, { afterPlan: () => appendFileSync(small, 'more\n') });
    const [r] = record('job-flag-small', small);
    assert.equal(r.changedDuringBackup, true);
    assert.equal(Buffer.from(r.sha256).toString('hex'), sha(readFileSync(small)));
    assert.equal(r.size, 'small, as scanned\nmore\n'.length);
    assert.equal(record('job-flag-small', path.join(dir, 'other.txt'))[0].changedDuringBackup, false);
    assert.match(warnings('job-flag-small')[0][1], /small\.txt: changed while it was read \(size 18 -> 23 bytes, mtime, ctime\); saved as read and flagged/);
  });

  it('RETRY, large: read again at the end, recorded once, current and unflagged, and restores', async () => {
    const dir = source('retry-large');
    const big = path.join(dir, 'big.bin');
    let reads = 0;
    const summary = await backup('job-retry-large', dir, undefined /* the default is RETRY */, {
      duringRead: (p) => {
        if (p === big && reads++ === 0) appendFileSync(big, 'appended during the first read\n');
      },
    });
    assert.equal(reads, 2);
    const rs = record('job-retry-large', big);
    assert.equal(rs.length, 1, 'one record: the changed read is not recorded');
    const now = readFileSync(big);
    assert.deepEqual([rs[0].changedDuringBackup, rs[0].size, Buffer.from(rs[0].sha256).toString('hex')], [false, now.length, sha(now)]);
    // The record describes the file as it was read again (the fresh lstat), not as scanned.
    assert.equal(rs[0].size, 12 * MiB + 31);
    assert.equal(rs[0].locations[0].containerPath, `ferrite/data/job-retry-large.retried${big}`);
    assert.doesNotMatch(summary, /flagged/);
    assert.deepEqual(
      warnings('job-retry-large').map(([, m]) => m),
      [`${big}: changed while it was read (size ${12 * MiB} -> ${12 * MiB + 31} bytes, mtime, ctime); it is read again at the end of the job`],
    );
    const target = path.join(tmp, 'restores', 'retry-large');
    const spec: RestoreSpec = {
      targetDirectory: target,
      stripPrefix: dir,
      overwrite: false,
      tapes: [{ barcode: BARCODE, items: rs.map((r) => restoreItemOf(r)) }],
      metadataItems: [],
      streamItems: false,
      entriesTotal: 0,
      bytesTotal: 0,
    };
    await runRestoreJob(ctx('job-retry-large-restore'), spec);
    assert.equal(sha(await readFile(path.join(target, 'big.bin'))), sha(now));
  });

  it('RETRY, bundled, changed again before the read again: recorded flagged, the job succeeds', async () => {
    const dir = source('retry-small');
    const small = path.join(dir, 'small.txt');
    const summary = await backup('job-retry-small', dir, OnChange.ON_CHANGE_RETRY, {
      afterPlan: () => appendFileSync(small, 'first change\n'),
      beforeReadAgain: (p) => appendFileSync(p, 'second change\n'),
    });
    const rs = record('job-retry-small', small);
    assert.equal(rs.length, 1);
    const now = readFileSync(small);
    // Read as it was at the second read (after the second change), flagged, as its own object.
    assert.deepEqual([rs[0].changedDuringBackup, rs[0].size, Buffer.from(rs[0].sha256).toString('hex')], [true, now.length, sha(now)]);
    assert.equal(rs[0].locations[0].containerPath, `ferrite/data/job-retry-small.retried${small}`);
    assert.deepEqual(
      warnings('job-retry-small').map(([p]) => p),
      [small, small],
    );
    assert.match(warnings('job-retry-small')[1][1], /changed while it was read \(size 31 -> 45 bytes, mtime, ctime\); saved as read and flagged/);
    assert.match(summary, /1 changed while they were read/);
  });

  it('RETRY, a sparse file cut short under its read: read again at the end, as it is then', async () => {
    const dir = source('retry-sparse');
    const sparse = path.join(dir, 'sparse.img');
    // 64 MiB with data at 0 and at 40 MiB (8 MiB each): two extents, holes between and after.
    writeFileSync(sparse, '');
    truncateSync(sparse, 64 * MiB);
    const fd = openSync(sparse, 'r+');
    writeSync(fd, bigContent(2).subarray(0, 8 * MiB), 0, 8 * MiB, 0);
    writeSync(fd, bigContent(3).subarray(0, 8 * MiB), 0, 8 * MiB, 40 * MiB);
    closeSync(fd);
    let reads = 0;
    await backup('job-retry-sparse', dir, undefined, {
      // Cut to 2 MiB after the first 4 MiB chunk: the read of its first extent comes up short.
      duringRead: (p) => {
        if (p === sparse && reads++ === 0) truncateSync(sparse, 2 * MiB);
      },
    });
    const rs = record('job-retry-sparse', sparse);
    assert.equal(rs.length, 1);
    const now = readFileSync(sparse);
    assert.deepEqual([rs[0].changedDuringBackup, rs[0].size, Buffer.from(rs[0].sha256).toString('hex')], [false, 2 * MiB, sha(now)]);
    assert.equal(rs[0].locations[0].containerPath, `ferrite/data/job-retry-sparse.retried${sparse}`);
    assert.match(
      warnings('job-retry-sparse')[0][1],
      /sparse\.img: changed while it was read \(shorter than its data extent at \d+\); it is read again at the end of the job$/,
    );
  });

  it('FAIL: saves everything, flags the changed file, then fails FILES_CHANGED naming it', async () => {
    const dir = source('fail');
    const small = path.join(dir, 'small.txt');
    await assert.rejects(backup('job-fail', dir, OnChange.ON_CHANGE_FAIL, { afterPlan: () => appendFileSync(small, 'changed\n') }), (err: JobError) => {
      assert.equal(err.code, 'FILES_CHANGED');
      assert.equal(err.message, `1 file changed while it was read (saved as read and flagged; onChange FAIL): ${JSON.stringify(small)}`);
      return true;
    });
    // Everything was reported, the changed file flagged.
    assert.deepEqual(
      recordsOf('job-fail')
        .map((r) => [path.relative(dir, r.path), r.changedDuringBackup])
        .sort(),
      [
        ['', false],
        ['big.bin', false],
        ['other.txt', false],
        ['small.txt', true],
      ],
    );
  });

  it('a FIFO swapped in for a bundled and for a large file after the scan: both skipped with a warning, no hang', async () => {
    const dir = source('fifo');
    const small = path.join(dir, 'small.txt');
    const big = path.join(dir, 'big.bin');
    const summary = await backup('job-fifo', dir, OnChange.ON_CHANGE_RETRY, {
      afterPlan: () => {
        for (const p of [small, big]) {
          rmSync(p);
          execFileSync('mkfifo', [p]);
        }
      },
    });
    assert.deepEqual(warnings('job-fifo'), [
      [small, `${small}: is no longer a regular file (a FIFO, device, socket or directory took its place); skipped`],
      [big, `${big}: is no longer a regular file (a FIFO, device, socket or directory took its place); skipped`],
    ]);
    assert.deepEqual(
      recordsOf('job-fifo').map((r) => path.relative(dir, r.path)),
      ['', 'other.txt'],
    );
    assert.match(summary, /; 2 could not be read and were skipped/);
  });

  it('a name that is not UTF-8: reported escaped, skipped and counted; everything else is saved', async () => {
    const dir = source('bad-name');
    writeFileSync(Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0x66, 0xff])]), 'a name of bytes 66 ff');
    const summary = await backup('job-bad-name', dir, undefined, {});
    assert.deepEqual(warnings('job-bad-name'), [['', `${dir}/f\\xff: name is not valid UTF-8 (shown escaped); skipped`]]);
    assert.deepEqual(
      recordsOf('job-bad-name')
        .map((r) => path.relative(dir, r.path))
        .sort(),
      ['', 'big.bin', 'other.txt', 'small.txt'],
    );
    assert.match(summary, /; 1 could not be read and were skipped/);
    const last = server.events.filter((e) => e.jobId === 'job-bad-name' && e.progress).at(-1)!;
    assert.equal(last.progress!.filesFailed, 1);
  });
});
