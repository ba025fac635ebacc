// Pool policy rules: ranges, copies against the drives that can write the pool's generation, and
// the scratch-pool chain.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCopiesSatisfiable, checkPoolPolicy, checkScratchPool, driveWrites, writableDriveCount } from '../../../src/modules/tapes/pool-policy.js';
import { thrownCode } from '../../support/error-codes.js';

const policy = { generation: 9, copies: 1, retentionDays: null, retentionRuns: null };

describe('pool policy', () => {
  it('takes copies 1..3 and sane retention', () => {
    for (const copies of [1, 2, 3])
      assert.equal(
        thrownCode(() => checkPoolPolicy({ ...policy, copies })),
        null,
      );
    for (const copies of [0, 4, -1, 1.5])
      assert.equal(
        thrownCode(() => checkPoolPolicy({ ...policy, copies })),
        'INVALID_POOL',
        String(copies),
      );
    assert.equal(
      thrownCode(() => checkPoolPolicy({ ...policy, retentionDays: -1 })),
      'INVALID_POOL',
    );
    assert.equal(
      thrownCode(() => checkPoolPolicy({ ...policy, retentionRuns: 0 })),
      'INVALID_POOL',
    );
    assert.equal(
      thrownCode(() => checkPoolPolicy({ ...policy, generation: 11 })),
      'INVALID_GENERATION',
    );
  });

  it('knows which drives write which media', () => {
    assert.equal(driveWrites(9, 9), true);
    assert.equal(driveWrites(9, 8), true);
    assert.equal(driveWrites(8, 9), false);
    assert.equal(driveWrites(9, 7), false);
    assert.equal(driveWrites(10, 9), false, 'LTO-10 writes only LTO-10');
    const drives = [
      { generation: 9, count: 2 },
      { generation: 8, count: 1 },
    ];
    assert.equal(writableDriveCount(9, drives), 2);
    assert.equal(writableDriveCount(8, drives), 3);
    assert.equal(writableDriveCount(7, drives), 1);
    assert.equal(writableDriveCount(null, drives), 3);
  });

  it('refuses more copies than the drives of one agent can ever write at once, but always allows one', () => {
    const drives = [
      { agent: 'a', generation: 9, count: 2 },
      { agent: 'b', generation: 9, count: 1 },
      { agent: 'b', generation: 8, count: 1 },
    ];
    assert.equal(
      thrownCode(() => checkCopiesSatisfiable('p', 9, 2, drives)),
      null,
    );
    assert.equal(
      thrownCode(() => checkCopiesSatisfiable('p', 9, 3, drives)),
      'INVALID_POOL',
      'three LTO-9 drives, but not on one agent',
    );
    assert.equal(
      thrownCode(() => checkCopiesSatisfiable('p', 8, 2, drives)),
      null,
      'agent b: an LTO-9 and an LTO-8 drive both write LTO-8',
    );
    assert.equal(
      thrownCode(() => checkCopiesSatisfiable('p', 10, 2, drives)),
      'INVALID_POOL',
    );
    assert.throws(
      () => checkCopiesSatisfiable('p', 9, 3, drives),
      /asks for 3 copies, written at once by one agent, but agent a has the most, 2 drives that can write LTO-9 tapes/,
    );
    assert.equal(
      thrownCode(() => checkCopiesSatisfiable('p', 9, 1, [])),
      null,
      'a pool may exist before any agent registers',
    );
  });

  it('refuses a scratch pool that is itself, leads back to it, or holds another generation', () => {
    const pool = { id: 'a', name: 'daily', generation: 9 };
    assert.equal(
      thrownCode(() => checkScratchPool(pool, { id: 'b', name: 'scratch', generation: 9 }, ['b'])),
      null,
    );
    assert.equal(
      thrownCode(() => checkScratchPool(pool, { id: 'b', name: 'scratch', generation: null }, ['b'])),
      null,
    );
    assert.equal(
      thrownCode(() => checkScratchPool(pool, { id: 'a', name: 'daily', generation: 9 }, ['a'])),
      'INVALID_POOL',
    );
    assert.equal(
      thrownCode(() => checkScratchPool(pool, { id: 'b', name: 'scratch', generation: 9 }, ['b', 'c', 'a'])),
      'INVALID_POOL',
    );
    assert.equal(
      thrownCode(() => checkScratchPool(pool, { id: 'b', name: 'scratch', generation: 8 }, ['b'])),
      'INVALID_POOL',
    );
  });
});
