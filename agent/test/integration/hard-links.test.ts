// Hard links (issue 16): files sharing (device, inode) are written to tape once, the others recorded
// as links to the first; restored together they are hard links again, restored alone a plain file.
// Real files, the job handlers, an emulated library.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { link, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { FileType, type FileRecord, type RestoreSpec } from '@ferrite/proto';
import { openEmulatedLibrary } from '../../src/drives/emulated/index.js';
import { runFormatJob } from '../../src/jobs/format-job.js';
import { runBackupJob } from '../../src/jobs/backup-job.js';
import { runRestoreJob } from '../../src/jobs/restore-job.js';
import type { JobContext } from '../../src/jobs/job-context.js';
import { createLogger } from '../../src/logger.js';
import type { AgentConfig } from '../../src/config/agent-config.js';
import { RecordingServer, recordingJobContext, restoreItemOf } from './recording-server.js';

const BARCODE = 'LNK001L9';

function restoreSpecOf(records: FileRecord[], target: string, stripPrefix: string): RestoreSpec {
  const withData = records.filter((r) => r.type === FileType.FILE_TYPE_FILE && r.size > 0);
  const items = withData
    .map((r) => restoreItemOf(r))
    .sort((a, b) => a.location!.startBlock - b.location!.startBlock || a.location!.offset - b.location!.offset);
  return {
    targetDirectory: target,
    stripPrefix,
    overwrite: false,
    tapes: items.length ? [{ barcode: BARCODE, items }] : [],
    metadataItems: records.filter((r) => !withData.includes(r)).map((r) => restoreItemOf(r)),
    streamItems: false,
    entriesTotal: 0,
    bytesTotal: 0,
  };
}

/** Every file under dir on the volume (bundles and large files). */
async function filesOnVolume(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(path.join(e.parentPath, e.name));
  return out;
}

describe('hard links: stored once, linked again at restore', { timeout: 120_000 }, () => {
  let tmp: string;
  let source: string;
  let server: RecordingServer;
  let ctx: (jobId: string) => JobContext;
  let records: FileRecord[];
  const big = randomBytes(2 * 1024 * 1024);

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-links-'));
    source = path.join(tmp, 'src');
    await mkdir(path.join(source, 'sub'), { recursive: true });
    await mkdir(path.join(tmp, 'elsewhere'));
    await writeFile(path.join(source, 'big-a'), big);
    await link(path.join(source, 'big-a'), path.join(source, 'sub/big-b'));
    await writeFile(path.join(source, 'small-a'), 'small and linked');
    await link(path.join(source, 'small-a'), path.join(source, 'small-b'));
    await link(path.join(source, 'small-a'), path.join(source, 'sub/small-c'));
    await writeFile(path.join(source, 'empty-a'), '');
    await link(path.join(source, 'empty-a'), path.join(source, 'empty-b'));
    // Its other name is outside the backup: recorded with its link count, stored like any file.
    await writeFile(path.join(source, 'half'), 'other name elsewhere');
    await link(path.join(source, 'half'), path.join(tmp, 'elsewhere', 'half'));

    const { library, drives } = await openEmulatedLibrary({
      name: 'lib',
      dir: path.join(tmp, 'lib'),
      slots: 2,
      drives: 1,
      generation: 9,
      capacityBytes: 256 * 1024 * 1024,
      barcodes: [BARCODE],
    });
    server = new RecordingServer();
    const config = { name: 'agent-x', hostname: 'agent-x', allowedRestoreRoots: [path.join(tmp, 'restores')], progressIntervalMs: 10 } as AgentConfig;
    ctx = (jobId) => recordingJobContext(server, { jobId, drive: drives[0], library, config, log: createLogger('silent') });
    await runFormatJob(ctx('job-format'), { barcode: BARCODE, force: false, pool: '' });
    const spec = {
      barcode: BARCODE,
      paths: [source],
      excludes: [],
      smallFileThreshold: 64 * 1024,
      bundleTargetBytes: 0,
      checkpointBytes: 0,
      checkpointFiles: 0,
      runId: '',
    };
    await runBackupJob(ctx('job-backup'), spec);
    records = server.files();
  });

  after(() => rm(tmp, { recursive: true, force: true }));

  const rec = (rel: string) => records.find((r) => r.path === path.join(source, rel))!;

  it('records every name: the first with the bytes, the others as links to it with its content', () => {
    assert.deepEqual(
      ['big-a', 'sub/big-b', 'small-a', 'small-b', 'sub/small-c', 'empty-a', 'empty-b', 'half'].map((rel) => [rel, rec(rel).linkCount, rec(rel).hardLinkTo]),
      [
        ['big-a', 2, ''],
        ['sub/big-b', 2, path.join(source, 'big-a')],
        ['small-a', 3, ''],
        ['small-b', 3, path.join(source, 'small-a')],
        ['sub/small-c', 3, path.join(source, 'small-a')],
        ['empty-a', 2, ''],
        ['empty-b', 2, path.join(source, 'empty-a')],
        ['half', 2, ''],
      ],
    );
    assert.deepEqual(rec('sub/big-b').locations, rec('big-a').locations);
    assert.deepEqual(rec('sub/big-b').sha256, rec('big-a').sha256);
    assert.deepEqual(rec('sub/small-c').locations, rec('small-a').locations);
    assert.equal(records.length, 10, 'every entry once: the root, sub, and 8 files');
  });

  it('the tape holds the bytes once: one large file object, one bundle member', async () => {
    const data = path.join(tmp, 'lib', 'cartridges', BARCODE, 'volume', 'ferrite', 'data');
    const objects = await filesOnVolume(data);
    const large = objects.filter((p) => !p.includes('/bundles/'));
    assert.deepEqual(
      large.map((p) => path.basename(p)),
      ['big-a'],
    );
    const bundles = await Promise.all(objects.filter((p) => p.includes('/bundles/')).map((p) => readFile(p)));
    const occurrences = bundles.reduce((n, b) => n + b.toString('latin1').split('small and linked').length - 1, 0);
    assert.equal(occurrences, 1);
  });

  it('restored together, the names are hard links of one file again', async () => {
    const target = path.join(tmp, 'restores', 'all');
    await runRestoreJob(ctx('job-restore-all'), restoreSpecOf(records, target, source));
    const st = async (rel: string) => lstat(path.join(target, rel));
    for (const group of [
      ['big-a', 'sub/big-b'],
      ['small-a', 'small-b', 'sub/small-c'],
      ['empty-a', 'empty-b'],
    ]) {
      const stats = await Promise.all(group.map(st));
      assert.ok(
        stats.every((s) => s.ino === stats[0].ino),
        `${group.join(', ')} share one inode`,
      );
      assert.equal(stats[0].nlink, group.length);
    }
    assert.deepEqual(await readFile(path.join(target, 'sub/big-b')), big);
    assert.equal((await st('half')).nlink, 1, 'its other name was not in the restore');
  });

  it('restored alone, a link is a plain file with the bytes', async () => {
    const target = path.join(tmp, 'restores', 'one');
    await runRestoreJob(ctx('job-restore-one'), restoreSpecOf([rec('sub/small-c'), rec('sub/big-b')], target, source));
    const c = await lstat(path.join(target, 'sub/small-c'));
    assert.equal(c.nlink, 1);
    assert.equal(await readFile(path.join(target, 'sub/small-c'), 'utf8'), 'small and linked');
    assert.deepEqual(await readFile(path.join(target, 'sub/big-b')), big);
  });
});
