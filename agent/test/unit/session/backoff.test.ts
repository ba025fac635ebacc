import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reconnectDelayMs } from '../../../src/session/backoff.js';

describe('reconnectDelayMs', () => {
  it('doubles from one second and stops growing after six doublings', () => {
    const noJitter = () => 0;
    assert.deepEqual(
      [0, 1, 2, 3, 6, 7, 50].map((a) => reconnectDelayMs(a, noJitter)),
      [1000, 2000, 4000, 8000, 64000, 64000, 64000],
    );
  });

  it('adds at most 50% jitter', () => {
    assert.equal(
      reconnectDelayMs(2, () => 0.999999),
      Math.round(4000 * 1.4999995),
    );
    for (let i = 0; i < 100; i++) {
      const d = reconnectDelayMs(3);
      assert.ok(d >= 8000 && d <= 12000, `delay ${d} within [8000, 12000]`);
    }
  });

  it('treats a negative attempt as the first', () => {
    assert.equal(
      reconnectDelayMs(-3, () => 0),
      1000,
    );
  });
});
