// The agent's own policy against orders from the server, through the job runner as they arrive:
// a format, a forced format, a backup and a restore outside it fail with POLICY_DENIED, before the
// job starts, and nothing changes (no tape loaded, the tape's data still there, nothing written).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JobEventType, JobKind, type AssignJob } from '@ferrite/proto';
import { openEmulatedLibrary } from '../../src/drives/emulated/index.js';
import { DriveSet } from '../../src/drives/drive-set.js';
import type { TapeDrive, TapeLibrary } from '../../src/drives/drive.js';
import { JobRunner } from '../../src/jobs/job-runner.js';
import { runFormatJob } from '../../src/jobs/format-job.js';
import { runBackupJob } from '../../src/jobs/backup-job.js';
import { createLogger } from '../../src/logger.js';
import type { AgentConfig } from '../../src/config/agent-config.js';
import { RecordingServer, recordingJobContext } from './recording-server.js';

const log = createLogger('silent');

describe("the agent's own policy refuses server orders outside it", { timeout: 60_000 }, () => {
  let tmp: string;
  let library: TapeLibrary;
  let drive: TapeDrive;
  let config: AgentConfig;
  let volumeOf: (barcode: string) => string;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-agent-policy-'));
    await mkdir(path.join(tmp, 'data/docs'), { recursive: true });
    await mkdir(path.join(tmp, 'restores'), { recursive: true });
    await mkdir(path.join(tmp, 'secret'), { recursive: true });
    await writeFile(path.join(tmp, 'data/docs/a.txt'), 'a');
    await writeFile(path.join(tmp, 'secret/key'), 'private');
    await symlink(path.join(tmp, 'secret'), path.join(tmp, 'data/to-secret'));
    await symlink(path.join(tmp, 'secret'), path.join(tmp, 'restores/to-secret'));
    const opened = await openEmulatedLibrary({
      name: 'lib',
      dir: path.join(tmp, 'lib'),
      slots: 4,
      drives: 1,
      generation: 9,
      capacityBytes: 256 * 1024 * 1024,
      barcodes: ['POL001L9', 'POL002L9'],
    });
    library = opened.library;
    drive = opened.drives[0];
    volumeOf = (barcode) => path.join(tmp, 'lib', 'cartridges', barcode, 'volume');
    config = {
      name: 'agent-p',
      hostname: 'agent-p',
      allowedBackupRoots: [path.join(tmp, 'data')],
      allowedRestoreRoots: [path.join(tmp, 'restores')],
      allowFormat: true,
      allowForceFormat: false,
      progressIntervalMs: 10,
    } as AgentConfig;
    // POL001L9 holds a backup (set up directly, not through the runner).
    const setup = new RecordingServer();
    const ctx = (jobId: string) => recordingJobContext(setup, { jobId, drive, library, config, log });
    await runFormatJob(ctx('setup-format'), { barcode: 'POL001L9', force: false, pool: '' });
    const backup = { barcode: 'POL001L9', paths: [path.join(tmp, 'data/docs')], excludes: [], smallFileThreshold: 0, bundleTargetBytes: 0, checkpointBytes: 0 };
    await runBackupJob(ctx('setup-backup'), { ...backup, checkpointFiles: 0, runId: '' });
    await library.unload(0);
  });

  after(() => rm(tmp, { recursive: true, force: true }));

  /** Runs one order through a job runner with `policy` and returns the events it reported. */
  async function order(o: Partial<AssignJob>, policy: Partial<AgentConfig> = {}) {
    const server = new RecordingServer();
    const runner = new JobRunner(server.asClient(), new DriveSet([library], [{ drive, library }]), { ...config, ...policy }, () => 'a1', log);
    const jobId = `job-${Math.random().toString(36).slice(2)}`;
    runner.assign({ jobId, attempt: 1, driveName: drive.identity.name, ...o } as AssignJob);
    for (let waited = 0; runner.runningJobIds().length > 0; waited += 10) {
      if (waited > 10_000) throw new Error('the job did not end');
      await new Promise((r) => setTimeout(r, 10));
    }
    return server.events.map((e) => ({ type: e.type, code: e.errorCode, message: e.message }));
  }

  async function assertRefusedBeforeStart(events: Awaited<ReturnType<typeof order>>, what: RegExp) {
    assert.deepEqual(
      events.map((e) => e.type),
      [JobEventType.JOB_EVENT_TYPE_ACKNOWLEDGED, JobEventType.JOB_EVENT_TYPE_FAILED],
      'acknowledged, then failed: never started',
    );
    assert.equal(events[1].code, 'POLICY_DENIED');
    assert.match(events[1].message, what);
    assert.equal(await drive.loaded(), null, 'no tape was loaded');
  }

  it('refuses any format when allowFormat is false; the blank tape stays blank in its slot', async () => {
    const events = await order({ kind: JobKind.JOB_KIND_FORMAT, format: { barcode: 'POL002L9', force: false, pool: '' } }, { allowFormat: false });
    await assertRefusedBeforeStart(events, /allowFormat/);
    const slots = (await library.status()).slots;
    assert.ok(slots.some((s) => s.barcode === 'POL002L9'));
    assert.deepEqual(await readdir(volumeOf('POL002L9')).catch(() => []), [], 'nothing written on the blank tape');
  });

  it('refuses a forced format when allowForceFormat is false; the data on the tape is still there', async () => {
    const before = await readdir(path.join(volumeOf('POL001L9'), 'ferrite/manifests'));
    assert.ok(before.length > 0);
    const events = await order({ kind: JobKind.JOB_KIND_FORMAT, format: { barcode: 'POL001L9', force: true, pool: '' } });
    await assertRefusedBeforeStart(events, /allowForceFormat/);
    assert.deepEqual(await readdir(path.join(volumeOf('POL001L9'), 'ferrite/manifests')), before);
  });

  for (const [name, p] of [
    ['a symlink out of the root', 'data/to-secret'],
    ['`..` out of the root', 'data/docs/../../secret'],
    ['a path beside the root', 'secret'],
  ]) {
    it(`refuses a backup through ${name} before the tape is touched`, async () => {
      const manifests = await readdir(path.join(volumeOf('POL001L9'), 'ferrite/manifests'));
      const events = await order({
        kind: JobKind.JOB_KIND_BACKUP,
        backup: { barcode: 'POL001L9', paths: [path.join(tmp, 'data/docs'), `${tmp}/${p}`], excludes: [] } as never,
      });
      await assertRefusedBeforeStart(events, /allowedBackupRoots/);
      assert.deepEqual(await readdir(path.join(volumeOf('POL001L9'), 'ferrite/manifests')), manifests, 'nothing written to tape');
    });
  }

  it('refuses a restore through a symlink out of its restore roots; nothing is written there', async () => {
    const events = await order({
      kind: JobKind.JOB_KIND_RESTORE,
      restore: { targetDirectory: path.join(tmp, 'restores/to-secret/planted'), stripPrefix: '', overwrite: true, tapes: [], metadataItems: [] } as never,
    });
    await assertRefusedBeforeStart(events, /allowedRestoreRoots/);
    assert.deepEqual(await readdir(path.join(tmp, 'secret')), ['key']);
  });
});
