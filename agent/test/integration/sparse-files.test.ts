// Sparse files (issue 16): a 1 GiB file with a few data blocks is backed up with only those blocks
// on tape and restored with its holes; real files on the test machine's file system (SEEK_DATA
// must work there: ext4, xfs, tmpfs, btrfs do), the job handlers, an emulated library.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileType, VerifySpec, type FileRecord, type RestoreSpec } from '@ferrite/proto';
import { openEmulatedLibrary } from '../../src/drives/emulated/index.js';
import { runFormatJob } from '../../src/jobs/format-job.js';
import { runBackupJob } from '../../src/jobs/backup-job.js';
import { runRestoreJob } from '../../src/jobs/restore-job.js';
import { runVerifyJob } from '../../src/jobs/verify-job.js';
import type { JobContext } from '../../src/jobs/job-context.js';
import { createLogger } from '../../src/logger.js';
import type { AgentConfig } from '../../src/config/agent-config.js';
import { RecordingServer, recordingJobContext, restoreItemOf } from './recording-server.js';

const BARCODE = 'SPR001L9';
const GIB = 1024 ** 3;
/** The data blocks of the 1 GiB file: at its start, in the middle, at its very end. */
const BLOCKS = [
  { offset: 0, data: randomBytes(4096) },
  { offset: 300 * 1024 * 1024, data: randomBytes(64 * 1024) },
  { offset: GIB - 4096, data: randomBytes(4096) },
];

/** lseek(SEEK_DATA/SEEK_HOLE) with a perl one-liner of the test's own (not the agent's code). */
function dataMapOnDisk(file: string): string {
  const script =
    'open(my $f, "<", $ARGV[0]) or die; my $s = -s $f; my $p = 0; my @e; while ($p < $s) { my $d = sysseek($f, $p, 3); last unless defined $d; $d += 0; my $h = sysseek($f, $d, 4) + 0; push @e, "$d:" . ($h - $d); $p = $h } print join(",", @e)';
  return execFileSync('perl', ['-e', script, file], { encoding: 'utf8' });
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 }) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

function restoreSpecOf(records: FileRecord[], target: string, stripPrefix: string): RestoreSpec {
  const withData = records.filter((r) => r.type === FileType.FILE_TYPE_FILE && r.size > 0);
  return {
    targetDirectory: target,
    stripPrefix,
    overwrite: false,
    tapes: [{ barcode: BARCODE, items: withData.map((r) => restoreItemOf(r)) }],
    metadataItems: records.filter((r) => !withData.includes(r)).map((r) => restoreItemOf(r)),
    streamItems: false,
    entriesTotal: 0,
    bytesTotal: 0,
  };
}

describe('sparse files: holes not on tape, holes again after restore', { timeout: 300_000 }, () => {
  let tmp: string;
  let source: string;
  let server: RecordingServer;
  let ctx: (jobId: string) => JobContext;
  let records: FileRecord[];
  let big: string;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-sparse-'));
    source = path.join(tmp, 'src');
    await mkdir(source);
    big = path.join(source, 'disk.img');
    await writeFile(big, '');
    await truncate(big, GIB);
    const fh = await open(big, 'r+');
    for (const b of BLOCKS) await fh.write(b.data, 0, b.data.length, b.offset);
    await fh.close();
    // Small and all holes: a sparse file below the bundling threshold, and one without any data.
    await writeFile(path.join(source, 'small-sparse'), '');
    await truncate(path.join(source, 'small-sparse'), 512 * 1024);
    const small = await open(path.join(source, 'small-sparse'), 'r+');
    await small.write(Buffer.from('in the middle'), 0, 13, 256 * 1024);
    await small.close();
    await writeFile(path.join(source, 'all-hole'), '');
    await truncate(path.join(source, 'all-hole'), 10 * 1024 * 1024);
    await writeFile(path.join(source, 'dense.txt'), 'no holes here');

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
    // A 256 MiB tape takes the 1 GiB file: only its 72 KiB of data go to tape.
    const spec = {
      barcode: BARCODE,
      paths: [source],
      excludes: [],
      smallFileThreshold: 1024 * 1024,
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

  it('records the data map and the whole file SHA-256; the tape holds only the data blocks', async () => {
    const r = rec('disk.img');
    assert.equal(r.size, GIB);
    assert.deepEqual(
      r.dataMap.map((e) => [e.offset, e.length]),
      BLOCKS.map((b) => [b.offset, b.data.length]),
    );
    assert.equal(Buffer.from(r.sha256).toString('hex'), await sha256Of(big));
    const stored = BLOCKS.reduce((n, b) => n + b.data.length, 0);
    assert.equal(r.locations[0].length, stored);
    assert.deepEqual(r.locations[0].dataMap, r.dataMap);
    const onTape = path.join(tmp, 'lib', 'cartridges', BARCODE, 'volume', r.locations[0].containerPath);
    assert.equal((await stat(onTape)).size, stored, 'the object on tape is the data blocks, nothing else');
    assert.equal(
      Buffer.from(r.locations[0].segmentSha256).toString('hex'),
      createHash('sha256')
        .update(Buffer.concat(BLOCKS.map((b) => b.data)))
        .digest('hex'),
    );
    assert.equal(rec('dense.txt').dataMap.length, 0);
    assert.deepEqual(rec('all-hole').dataMap, [{ offset: 10 * 1024 * 1024 - 1, length: 1 }]);
    assert.ok(!rec('small-sparse').locations[0].containerPath.includes('/bundles/'), 'a sparse file is its own object');
  });

  it('restores each sparse file byte for byte with its holes', async () => {
    const target = path.join(tmp, 'restores', 'r1');
    await runRestoreJob(ctx('job-restore'), restoreSpecOf(records, target, source));
    for (const rel of ['disk.img', 'small-sparse', 'all-hole', 'dense.txt']) {
      const [got, want] = [path.join(target, rel), path.join(source, rel)];
      assert.equal((await stat(got)).size, (await stat(want)).size, rel);
      assert.equal(await sha256Of(got), await sha256Of(want), rel);
    }
    assert.equal(dataMapOnDisk(path.join(target, 'disk.img')), dataMapOnDisk(big), 'the same data extents: the holes are holes');
    assert.ok((await stat(path.join(target, 'disk.img'))).blocks * 512 < 1024 * 1024, 'a few blocks allocated, not 1 GiB');
    assert.equal(dataMapOnDisk(path.join(target, 'small-sparse')), dataMapOnDisk(path.join(source, 'small-sparse')));
  });

  it('a verify of the tape checks the stored blocks against their own SHA-256', async () => {
    const r = rec('disk.img');
    const item = { ...restoreItemOf(r), sha256: r.locations[0].segmentSha256 };
    // What the catalog's verify plan sends for it (expectedHash: a placement shorter than its content
    // is checked against its own segment hash).
    assert.match(await runVerifyJob(ctx('job-verify'), VerifySpec.fromPartial({ tapes: [{ barcode: BARCODE, items: [item] }] })), /every SHA-256 matched$/);
  });
});
