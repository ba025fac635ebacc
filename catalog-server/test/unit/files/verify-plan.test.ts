import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildVerifyPlan, toVerifyItem, type VerifyPlacementRow } from '../../../src/modules/files/verify-plan.js';

function placement(contentId: string, over: Partial<VerifyPlacementRow> = {}): VerifyPlacementRow {
  return {
    contentId,
    sha256: Buffer.alloc(32, Number(contentId)),
    contentSize: 100,
    barcode: 'T1',
    partition: 'b',
    startBlock: 0,
    containerPath: '/x',
    offset: 0,
    length: 100,
    segment: 0,
    fileOffset: 0,
    copy: 1,
    segmentSha256: null,
    ...over,
  };
}

describe('buildVerifyPlan', () => {
  it('reads each tape in (partition, start block, offset) order, tapes by barcode', () => {
    const plan = buildVerifyPlan(
      [
        placement('1', { barcode: 'T2', startBlock: 7 }),
        placement('2', { startBlock: 900 }),
        placement('3', { startBlock: 20, containerPath: '/bundle', offset: 4096 }),
        placement('4', { startBlock: 20, containerPath: '/bundle', offset: 512 }),
        placement('5', { partition: 'a', startBlock: 999 }),
      ],
      (id) => `/f${id}`,
    );
    assert.deepEqual(
      plan.tapes.map((t) => t.barcode),
      ['T1', 'T2'],
    );
    assert.deepEqual(
      plan.tapes[0].items.map((i) => i.path),
      ['/f5', '/f4', '/f3', '/f2'],
    );
    assert.deepEqual(plan.tapes[0].items[1].sha256, Buffer.alloc(32, 4));
    assert.equal(plan.tapes[0].items[1].location?.offset, 512);
    assert.equal(plan.tapes[1].items[0].location?.barcode, 'T2');
    assert.equal(plan.objectCount, 5);
    assert.equal(plan.byteCount, 500);
    assert.equal(plan.partialSegments, 0);
  });

  it('leaves out segments of a file spanning tapes written without a hash of their own, and counts them', () => {
    const plan = buildVerifyPlan([
      placement('1', { contentSize: 300, length: 200 }),
      placement('1', { contentSize: 300, length: 100, segment: 1, fileOffset: 200, barcode: 'T2' }),
      placement('2'),
    ]);
    assert.deepEqual(
      plan.tapes.map((t) => [t.barcode, t.items.length]),
      [['T1', 1]],
    );
    assert.equal(plan.partialSegments, 2);
    assert.equal(plan.objectCount, 1);
    assert.equal(plan.tapes[0].items[0].path, '', 'no path at hand: the agent names the content by hash');
  });

  it('sends each segment that has a hash of its own, checked against that hash, on the tape that holds it', () => {
    const first = Buffer.alloc(32, 0xa1);
    const middle = Buffer.alloc(32, 0xb2);
    const last = Buffer.alloc(32, 0xc3);
    const plan = buildVerifyPlan(
      [
        placement('1', { contentSize: 300, length: 100, segmentSha256: first, startBlock: 50 }),
        placement('1', { contentSize: 300, length: 100, segment: 1, fileOffset: 100, barcode: 'T2', segmentSha256: middle }),
        placement('1', { contentSize: 300, length: 100, segment: 2, fileOffset: 200, barcode: 'T3', segmentSha256: last }),
        // Written before segment hashes: still left out.
        placement('2', { contentSize: 300, length: 200, barcode: 'T2', startBlock: 9 }),
        placement('3', { startBlock: 7 }),
      ],
      (id) => `/f${id}`,
    );
    assert.deepEqual(
      plan.tapes.map((t) => [t.barcode, t.items.map((i) => [i.path, i.location?.segment, i.sha256.toString('hex')])]),
      [
        [
          'T1',
          [
            ['/f3', 0, Buffer.alloc(32, 3).toString('hex')],
            ['/f1', 0, first.toString('hex')],
          ],
        ],
        ['T2', [['/f1', 1, middle.toString('hex')]]],
        ['T3', [['/f1', 2, last.toString('hex')]]],
      ],
    );
    // The location says which piece it is (and carries its hash); a whole content carries none.
    assert.deepEqual(plan.tapes[1].items[0].location?.segmentSha256, middle);
    assert.equal(plan.tapes[0].items[0].location?.segmentSha256.length, 0);
    assert.equal(plan.objectCount, 4);
    assert.equal(plan.byteCount, 400);
    assert.equal(plan.partialSegments, 1);
  });

  it('checks a whole content against its own SHA-256, and refuses to make an item of a placement with no hash', () => {
    const whole = placement('4', { segmentSha256: Buffer.alloc(32, 9) });
    assert.deepEqual(toVerifyItem(whole).sha256, Buffer.alloc(32, 4));
    assert.throws(() => toVerifyItem(placement('5', { length: 50 })), { code: 'CATALOG_ERROR' });
  });
});
