import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RefusalTally } from '../../../src/jobs/refusal-tally.js';

describe('RefusalTally (a cartridge in a standalone drive the server keeps refusing)', () => {
  it('counts a cartridge refused only at the third refusal in a row', () => {
    const tally = new RefusalTally(3);
    assert.deepEqual(
      ['X', 'X', 'X'].map((b) => tally.refuse(b)),
      [false, false, true],
    );
  });

  it('starts again for another cartridge, and after each time it reached the limit', () => {
    const tally = new RefusalTally(3);
    assert.deepEqual(
      ['X', 'X', 'Y', 'Y', 'X', 'X', 'X', 'X', 'X', 'X'].map((b) => tally.refuse(b)),
      [false, false, false, false, false, false, true, false, false, true],
    );
  });

  it('with a limit of one, every refusal counts', () => {
    const tally = new RefusalTally(1);
    assert.deepEqual(
      ['X', 'X', 'Y'].map((b) => tally.refuse(b)),
      [true, true, true],
    );
  });
});
