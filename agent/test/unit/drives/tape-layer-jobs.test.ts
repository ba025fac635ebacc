// The library and maintenance job handlers on an emulated library, reporting to a recording server:
// check without and with repair, refusals with their codes, cleaning, moves.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentConfig } from '../../../src/config/agent-config.js';
import type { EmulatedDrive, EmulatedLibrary } from '../../../src/drives/emulated/index.js';
import { JobError, type JobContext } from '../../../src/jobs/job-context.js';
import { runInventoryJob, runLoadJob, runMoveJob, runUnloadJob } from '../../../src/jobs/library-jobs.js';
import { runCheckJob, runCleanJob } from '../../../src/jobs/maintenance-jobs.js';
import { createLogger } from '../../../src/logger.js';
import { RecordingServer, recordingJobContext } from '../../integration/recording-server.js';
import { open, tempDir } from './emulated-fixture.js';

const log = createLogger('silent');

async function failsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof JobError || (err as { code?: string }).code !== undefined, String(err));
    assert.equal((err as { code: string }).code, code, (err as Error).message);
    return true;
  });
}

describe('tape-layer job handlers on an emulated library', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let library: EmulatedLibrary;
  let drives: EmulatedDrive[];
  let server: RecordingServer;
  const ctx = (driveIndex: number, jobId = 'job-1'): JobContext =>
    recordingJobContext(server, {
      jobId,
      drive: drives[driveIndex],
      library,
      log,
      config: { name: 'agent-t', hostname: 'agent-t', progressIntervalMs: 10 } as AgentConfig,
    });

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    ({ library, drives } = await open(dir));
    server = new RecordingServer();
  });
  afterEach(async () => cleanup());

  it('checks a clean volume (CONSISTENT), reports a dirty one without repair (NEEDS_REPAIR), repairs it with repair', async () => {
    await runLoadJob(ctx(0), { barcode: 'FER001L9' });
    await drives[0].format({ barcode: 'FER001L9', force: false });
    assert.match(await runCheckJob(ctx(0), { barcode: 'FER001L9', repair: false, rollbackGeneration: 0 }), /^CONSISTENT/);
    // A volume the agent died with: dirty on the cartridge.
    const file = path.join(dir, 'cartridges', 'FER001L9', 'cartridge.json');
    await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, 'utf8')), dirty: true }));
    assert.match(await runCheckJob(ctx(0), { barcode: 'FER001L9', repair: false, rollbackGeneration: 0 }), /^NEEDS_REPAIR/);
    assert.equal((await drives[0].loaded())?.dirty, true, 'a check without repair changes nothing');
    assert.match(await runCheckJob(ctx(0), { barcode: 'FER001L9', repair: true, rollbackGeneration: 0 }), /^REPAIRED/);
    assert.equal((await drives[0].loaded())?.dirty, false);
    await failsWith(runCheckJob(ctx(0), { barcode: 'FER001L9', repair: false, rollbackGeneration: 3 }), 'INVALID_SPEC');
    await failsWith(runCheckJob(ctx(0), { barcode: 'CLN001L1', repair: false, rollbackGeneration: 0 }), 'CLEANING_CARTRIDGE');
  });

  it('loads, refuses a drive holding another tape, unloads home, moves slot to slot', async () => {
    await runLoadJob(ctx(0), { barcode: 'FER001L9' });
    await failsWith(runLoadJob(ctx(0), { barcode: 'FER002L9' }), 'DRIVE_OCCUPIED');
    await failsWith(runUnloadJob(ctx(0), { barcode: 'FER002L9', toSlot: 0 }), 'TAPE_NOT_IN_DRIVE');
    await failsWith(runMoveJob(ctx(1), { barcode: 'FER001L9', toSlot: 6 }, [library]), 'TAPE_IN_DRIVE');
    await runUnloadJob(ctx(0), { barcode: 'FER001L9', toSlot: 0 });
    await failsWith(runUnloadJob(ctx(0), { barcode: '', toSlot: 0 }), 'NO_TAPE');
    await runMoveJob(ctx(1), { barcode: 'FER001L9', toSlot: 6 }, [library]);
    await failsWith(runMoveJob(ctx(1), { barcode: 'FER002L9', toSlot: 6 }, [library]), 'SLOT_OCCUPIED');
    await failsWith(runMoveJob(ctx(1), { barcode: 'NOPE01L9', toSlot: 5 }, [library]), 'TAPE_NOT_IN_LIBRARY');
    const status = await library.status();
    assert.deepEqual(
      status.slots.map((s) => s.barcode),
      [null, 'FER002L9', 'FER003L9', 'CLN001L1', null, 'FER001L9'],
    );
    assert.match(await runInventoryJob(ctx(1), { library: '' }, [library]), /4 cartridge\(s\)/);
    await failsWith(runInventoryJob(ctx(1), { library: 'nope' }, [library]), 'UNKNOWN_LIBRARY');
  });

  it("cleans a drive with the library's cleaning cartridge and puts it back", async () => {
    await drives[1].injectAlerts(['CLEAN_NOW']);
    assert.match(await runCleanJob(ctx(1), { cleaningBarcode: '' }), /cleaned drive1 with CLN001L1/);
    assert.deepEqual(await drives[1].alerts(), []);
    assert.equal((await library.status()).slots[3].barcode, 'CLN001L1');
    await failsWith(runCleanJob(ctx(1), { cleaningBarcode: 'FER001L9' }), 'NOT_CLEANING_CARTRIDGE');
  });

  it('refuses to clean when the library has no cleaning cartridge', async () => {
    const other = await tempDir();
    try {
      ({ library, drives } = await open(other.dir, { barcodes: ['FER001L9'] }));
      await failsWith(runCleanJob(ctx(0), { cleaningBarcode: '' }), 'NO_CLEANING_CARTRIDGE');
    } finally {
      await other.cleanup();
    }
  });
});
