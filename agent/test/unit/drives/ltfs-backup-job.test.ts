// The real format and backup job handlers, unchanged, on the ltfs backend over the fake tools: the
// handlers do not care which backend they drive, and what they report (positions from
// user.ltfs.startblock, checkpoints after user.ltfs.sync) is what LTFS says is on the tape.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AgentConfig } from '../../../src/config/agent-config.js';
import { runBackupJob } from '../../../src/jobs/backup-job.js';
import { runFormatJob } from '../../../src/jobs/format-job.js';
import type { JobContext } from '../../../src/jobs/job-context.js';
import { createLogger } from '../../../src/logger.js';
import { RecordingServer, recordingJobContext } from '../../integration/recording-server.js';
import { FakeHardware } from './ltfs-fixture.js';

const log = createLogger('silent');

describe('job handlers on the ltfs backend', { timeout: 120_000 }, () => {
  let hw: FakeHardware;
  let source: string;
  let server: RecordingServer;
  let ctx: (jobId: string) => JobContext;

  before(async () => {
    hw = await FakeHardware.create({ slots: ['FER001L9', null], tapes: { FER001L9: {} } });
    source = await mkdtemp(path.join(os.tmpdir(), 'ferrite-ltfs-src-'));
    await mkdir(path.join(source, 'docs'));
    for (let i = 0; i < 12; i++) await writeFile(path.join(source, 'docs', `note-${i}.txt`), randomBytes(2000 + i * 500));
    await writeFile(path.join(source, 'big.bin'), randomBytes(1024 * 1024 + 3));
    server = new RecordingServer();
    const config = { name: 'agent-l', hostname: 'agent-l', allowedRestoreRoots: [source], progressIntervalMs: 10 } as AgentConfig;
    ctx = (jobId) => recordingJobContext(server, { jobId, drive: hw.drive, library: hw.library, config, log });
  });

  after(async () => {
    await hw.cleanup();
    await rm(source, { recursive: true, force: true });
  });

  it('formats a tape from its slot and labels it', async () => {
    await runFormatJob(ctx('job-format'), { barcode: 'FER001L9', force: false, pool: 'p1' });
    assert.deepEqual(hw.runner.of('mkltfs'), ['-d /dev/nst0 -s FER001 -n FER001L9']);
    assert.ok(hw.runner.of('mtx').includes('-f /dev/sg3 load 1 0'), 'the tape was fetched from slot 1');
    const label = JSON.parse(await readFile(path.join(hw.volumeDir('FER001L9'), 'FERRITE.json'), 'utf8')) as { barcode: string; volumeUuid: string };
    const tape = (await hw.state()).tapes.FER001L9;
    assert.equal(label.barcode, 'FER001L9');
    assert.equal(label.volumeUuid, tape.uuid);
    assert.equal(tape.dirty, false);
  });

  it('backs up with bundles and checkpoints; every reported position is the one LTFS gave', async () => {
    const spec = {
      barcode: 'FER001L9',
      paths: [source],
      excludes: [],
      smallFileThreshold: 64 * 1024,
      bundleTargetBytes: 20 * 1024,
      checkpointBytes: 1024 ** 3,
      checkpointFiles: 6,
      runId: '',
    };
    await runBackupJob(ctx('job-backup'), spec);
    const records = server.files();
    assert.equal(records.length, 15, 'the source and docs directories, 12 notes and big.bin');
    assert.ok(server.batches.length >= 2, `checkpointed in ${server.batches.length} batches`);

    const state = await hw.state();
    const tape = state.tapes.FER001L9;
    assert.equal(tape.dirty, false, 'unmounted cleanly');
    assert.deepEqual(state.mounts, {});
    assert.ok((tape.syncs ?? 0) >= server.batches.length, `an index sync per checkpoint (${tape.syncs} syncs, ${server.batches.length} batches)`);
    for (const r of records.filter((x) => x.size > 0 && x.locations.length > 0)) {
      const loc = r.locations[0];
      const onTape = tape.positions![loc.containerPath];
      assert.ok(onTape, `${loc.containerPath} has an LTFS position`);
      assert.equal(loc.startBlock, onTape.startBlock, r.path);
      assert.equal(loc.partition, 'b');
    }
    const big = records.find((r) => r.path.endsWith('big.bin'))!;
    const bigOnTape = await readFile(path.join(hw.volumeDir('FER001L9'), big.locations[0].containerPath));
    assert.equal(bigOnTape.length, 1024 * 1024 + 3);
    // One manifest per checkpoint, and the job header written before any data.
    const manifests = (await readdir(path.join(hw.volumeDir('FER001L9'), 'ferrite/manifests'))).sort();
    assert.equal(manifests.length, server.batches.length + 1);
    assert.equal(manifests[0], 'job-backup-000000.json');
    const header = JSON.parse(await readFile(path.join(hw.volumeDir('FER001L9'), 'ferrite/manifests', manifests[0]), 'utf8')) as {
      job: string;
      runs: Array<{ root: string; level: string }>;
      tapes: string[];
    };
    assert.equal(header.job, 'job-backup');
    assert.deepEqual(
      header.runs.map((r) => [r.root, r.level]),
      [[source, 'FULL']],
    );
    assert.deepEqual(header.tapes, ['FER001L9']);
  });
});
