// Getting a job's tape into its drive when an earlier job left it in another drive of the library:
// taken out only when no running job holds that drive.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TapeDrive, TapeLibrary } from '../../src/drives/drive.js';
import { openEmulatedLibrary } from '../../src/drives/emulated/index.js';
import { ensureLoaded } from '../../src/jobs/tape-handling.js';
import { JobError } from '../../src/jobs/job-context.js';
import { createLogger } from '../../src/logger.js';
import type { AgentConfig } from '../../src/config/agent-config.js';
import { tempDir } from '../unit/drives/emulated-fixture.js';
import { RecordingServer, recordingJobContext } from './recording-server.js';

const log = createLogger('silent');
const config = { name: 'agent-x', hostname: 'agent-x', allowedRestoreRoots: [], progressIntervalMs: 10 } as unknown as AgentConfig;

describe('ensureLoaded with the tape in another drive', () => {
  let cleanup: () => Promise<void>;
  let library: TapeLibrary;
  let drives: TapeDrive[];

  before(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    ({ library, drives } = await openEmulatedLibrary({
      name: 'lib',
      dir: tmp.dir,
      slots: 4,
      drives: 2,
      generation: 9,
      capacityBytes: 64 * 1024 ** 2,
      barcodes: ['TST001L9', 'TST002L9'],
      timeScale: 0,
    }));
    const slot = (await library.status()).slots.find((s) => s.barcode === 'TST001L9')!.slot;
    await library.load(slot, 1);
  });

  after(() => cleanup());

  const ctx = (driveInUse?: (lib: string, index: number) => boolean) => ({
    ...recordingJobContext(new RecordingServer(), { jobId: 'job-1', drive: drives[0], library, config, log }),
    driveInUse,
  });

  it('refuses while a job holds that drive, or when it cannot tell', async () => {
    for (const inUse of [() => true, undefined]) {
      await assert.rejects(
        ensureLoaded(ctx(inUse), 'TST001L9'),
        (err: JobError) => err.code === 'TAPE_IN_OTHER_DRIVE' && /another job is using/.test(err.message),
      );
    }
    const status = await library.status();
    assert.equal(status.drives.find((d) => d.driveIndex === 1)?.barcode, 'TST001L9', 'nothing moved');
  });

  it("sends the tape home from an idle drive and loads it into the job's drive", async () => {
    const asked: Array<[string, number]> = [];
    await ensureLoaded(
      ctx((lib, index) => {
        asked.push([lib, index]);
        return false;
      }),
      'TST001L9',
    );
    assert.deepEqual(asked, [['lib', 1]]);
    const status = await library.status();
    assert.equal(status.drives.find((d) => d.driveIndex === 0)?.barcode, 'TST001L9');
    assert.equal(status.drives.find((d) => d.driveIndex === 1)?.barcode ?? null, null);
  });
});
