// mountChecked: what the drive did by itself while mounting reaches the job log.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MountedVolume, TapeDrive } from '../../../src/drives/drive.js';
import type { JobContext } from '../../../src/jobs/job-context.js';
import { mountChecked } from '../../../src/jobs/tape-handling.js';

function fakeContext(volume: Partial<MountedVolume>): { ctx: JobContext; notes: string[] } {
  const notes: string[] = [];
  const drive = {
    identity: { name: 'drive0' },
    mount: () => Promise.resolve({ barcode: 'FER001L9', readOnly: false, root: '/x', ...volume }),
  } as unknown as TapeDrive;
  const reporter = { note: (level: string, message: string) => Promise.resolve(void notes.push(`${level}: ${message}`)) };
  return { ctx: { drive, reporter } as unknown as JobContext, notes };
}

describe('mountChecked', () => {
  it("notes in the job log that the drive's LTFS repaired the volume at mount", async () => {
    const { ctx, notes } = fakeContext({ recoveredAtMount: 'LTFS found FER001L9 not unmounted cleanly and recovered it at mount (LTFS11022I)' });
    const volume = await mountChecked(ctx, false);
    assert.equal(volume.barcode, 'FER001L9');
    assert.deepEqual(notes, ['warn: drive0: LTFS found FER001L9 not unmounted cleanly and recovered it at mount (LTFS11022I)']);
  });

  it('says nothing after an ordinary mount', async () => {
    const { ctx, notes } = fakeContext({});
    await mountChecked(ctx, true);
    assert.deepEqual(notes, []);
  });
});
