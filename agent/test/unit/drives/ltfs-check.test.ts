// ltfsck through the ltfs backend: a plain check, rollback to an index generation (-g GEN -r),
// deep recovery of a cartridge without EOD, and the list of rollback points.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TapeError } from '../../../src/drives/drive.js';
import { FakeHardware } from './ltfs-fixture.js';

describe('ltfs backend: ltfsck check, rollback, deep recovery', { timeout: 120_000 }, () => {
  let hw: FakeHardware;
  before(async () => {
    hw = await FakeHardware.create({ slots: ['FER001L9'], tapes: { FER001L9: { formatted: true, indexGeneration: 4 } } });
    await hw.library.load(1, 0);
  });
  after(() => hw.cleanup());

  it('checks a clean volume: `ltfsck DEV`, nothing repaired', async () => {
    assert.deepEqual(await hw.drive.check(), { repaired: false, lostFiles: [] });
    assert.deepEqual(hw.runner.of('ltfsck'), ['/dev/nst0']);
    assert.equal((await hw.state()).tapes.FER001L9.checks, 1);
  });

  it('lists rollback points from `ltfsck -l`', async () => {
    const points = await hw.drive.rollbackPoints();
    assert.deepEqual(
      points.map((p) => p.generation),
      [4, 3, 2, 1],
    );
    assert.deepEqual(points[0], { generation: 4, time: '2026-11-23 10:00:04.000000000 UTC', partition: 0, block: 13 });
  });

  it('rolls back to a generation with `ltfsck -g GEN -r DEV`', async () => {
    assert.deepEqual(await hw.drive.check({ rollbackGeneration: 2 }), { repaired: true, lostFiles: [] });
    assert.equal(hw.runner.of('ltfsck').at(-1), '-g 2 -r /dev/nst0');
    assert.equal((await hw.state()).tapes.FER001L9.rolledBackTo, 2);
  });

  it('refuses a rollback to a generation the tape does not have', async () => {
    await assert.rejects(hw.drive.check({ rollbackGeneration: 99 }), (e: TapeError) => e.code === 'MEDIUM_ERROR' && /exited with 4/.test(e.message));
  });

  it('a cartridge without EOD needs --deep-recovery: VOLUME_DIRTY without it, repaired with it', async () => {
    await hw.update((s) => (s.tapes.FER001L9.eodMissing = true));
    await assert.rejects(hw.drive.check(), (e: TapeError) => e.code === 'VOLUME_DIRTY');
    assert.deepEqual(await hw.drive.check({ deepRecovery: true }), { repaired: true, lostFiles: [] });
    assert.equal(hw.runner.of('ltfsck').at(-1), '--deep-recovery /dev/nst0');
    assert.equal((await hw.state()).tapes.FER001L9.deepRecovered, true);
  });

  it('mounts an older generation read-only with -o rollback_mount=GEN', async () => {
    const volume = await hw.drive.mount({ rollbackGeneration: 3 });
    assert.match(hw.runner.of('ltfs').at(-1)!, / -o ro -o rollback_mount=3 /);
    assert.equal(volume.readOnly, true);
    await volume.unmount();
  });
});
