// Restores that cannot write some files: temporary names stay short whatever the file's name, and
// the job's failure names how many failed of how many, and which.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { partialNameFor, restoreIncomplete } from '../../../src/jobs/restore-job.js';

describe('restore temporary names', () => {
  it('are short, hidden, beside the file, and unique whatever the name', () => {
    const dest = `/srv/restore/dir/${'n'.repeat(255)}`;
    const names = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const partial = partialNameFor(dest);
      assert.equal(path.dirname(partial), '/srv/restore/dir');
      assert.ok(Buffer.byteLength(path.basename(partial)) <= 40, partial);
      assert.ok(path.basename(partial).startsWith('.ferrite-'), partial);
      names.add(partial);
    }
    assert.equal(names.size, 1000);
  });
});

describe('RESTORE_INCOMPLETE', () => {
  it('says how many of how many, and names the first five with their causes', () => {
    const failed = Array.from({ length: 7 }, (_, i) => ({ path: `/data/f${i}`, cause: 'ENOSPC (write)' }));
    const err = restoreIncomplete({ failed, filesTotal: 12_004 });
    assert.equal(err.code, 'RESTORE_INCOMPLETE');
    assert.equal(
      err.message,
      '7 of 12004 files could not be restored: "/data/f0" (ENOSPC (write)), "/data/f1" (ENOSPC (write)), "/data/f2" (ENOSPC (write)), "/data/f3" (ENOSPC (write)), "/data/f4" (ENOSPC (write)), and 2 more (see the job\'s failedFiles)',
    );
  });

  it('quotes a path with a newline so the message stays one line', () => {
    const err = restoreIncomplete({ failed: [{ path: '/a\nb', cause: 'EACCES (open)' }], filesTotal: 3 });
    assert.equal(err.message, '1 of 3 files could not be restored: "/a\\nb" (EACCES (open))');
  });
});
