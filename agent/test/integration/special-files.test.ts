// Empty directories, FIFOs and device nodes (issue 16): recorded with their mode and times (a device
// with its numbers) and recreated at restore, devices as root. Real files, the job handlers, an
// emulated library; the end-to-end tree has them too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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

const BARCODE = 'SPC001L9';
const asRoot = process.getuid?.() === 0;

function restoreSpecOf(records: FileRecord[], target: string, stripPrefix: string): RestoreSpec {
  const withData = records.filter((r) => r.type === FileType.FILE_TYPE_FILE && r.size > 0);
  return {
    targetDirectory: target,
    stripPrefix,
    overwrite: false,
    tapes: withData.length ? [{ barcode: BARCODE, items: withData.map((r) => restoreItemOf(r)) }] : [],
    metadataItems: records.filter((r) => !withData.includes(r)).map((r) => restoreItemOf(r)),
    streamItems: false,
    entriesTotal: 0,
    bytesTotal: 0,
  };
}

/** `stat` as the tool prints it: type, mode, device numbers (hex), mtime to the nanosecond. */
function statOf(p: string): string {
  return execFileSync('stat', ['-c', '%F %a %t:%T %y', p], { encoding: 'utf8' }).trim();
}

describe('empty directories, FIFOs and device nodes', { timeout: 120_000 }, () => {
  let tmp: string;
  let source: string;
  let server: RecordingServer;
  let ctx: (jobId: string) => JobContext;
  let records: FileRecord[];
  const specials = ['pipe', 'empty/deeper', 'empty', ...(asRoot ? ['null-like', 'loop-like'] : [])];

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-special-'));
    source = path.join(tmp, 'src');
    await mkdir(path.join(source, 'empty/deeper'), { recursive: true });
    await writeFile(path.join(source, 'plain.txt'), 'plain');
    execFileSync('mkfifo', ['-m', '640', path.join(source, 'pipe')]);
    if (asRoot) {
      execFileSync('mknod', ['-m', '666', path.join(source, 'null-like'), 'c', '1', '3']);
      execFileSync('mknod', ['-m', '660', path.join(source, 'loop-like'), 'b', '7', '200']);
    }
    execFileSync('touch', ['-h', '-d', '@1600000000.123456789', ...specials.map((s) => path.join(source, s))]);
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
      smallFileThreshold: 0,
      bundleTargetBytes: 0,
      checkpointBytes: 0,
      checkpointFiles: 0,
      runId: '',
    };
    await runBackupJob(ctx('job-backup'), spec);
    records = server.files();
  });

  after(() => rm(tmp, { recursive: true, force: true }));

  it('records them with their type (a device with its numbers), never as skipped', () => {
    const of = (rel: string) => records.find((r) => r.path === path.join(source, rel))!;
    assert.equal(of('pipe').type, FileType.FILE_TYPE_FIFO);
    assert.equal(of('empty/deeper').type, FileType.FILE_TYPE_DIRECTORY);
    if (asRoot) {
      assert.deepEqual([of('null-like').type, of('null-like').rdevMajor, of('null-like').rdevMinor], [FileType.FILE_TYPE_CHAR_DEVICE, 1, 3]);
      assert.deepEqual([of('loop-like').type, of('loop-like').rdevMajor, of('loop-like').rdevMinor], [FileType.FILE_TYPE_BLOCK_DEVICE, 7, 200]);
    }
    assert.equal(server.events.filter((e) => e.jobId === 'job-backup' && e.level === 'warn').length, 0, 'nothing skipped');
  });

  it('recreates them with type, mode, device numbers and time', async () => {
    const target = path.join(tmp, 'restores', 'r1');
    await runRestoreJob(ctx('job-restore'), restoreSpecOf(records, target, source));
    for (const rel of specials) assert.equal(statOf(path.join(target, rel)), statOf(path.join(source, rel)), rel);
    assert.deepEqual(await readdir(path.join(target, 'empty/deeper')), []);
    assert.ok((await lstat(path.join(target, 'pipe'))).isFIFO());
  });
});
