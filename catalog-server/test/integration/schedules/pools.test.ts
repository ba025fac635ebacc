// Pools on real PostgreSQL: the new policy fields, copies checked against the drives registered on
// one agent (copies are written at once by one agent), the scratch-pool chain, and bad input
// changing nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PoolsRepository } from '../../../src/modules/tapes/pools.repository.js';
import { PoolsService } from '../../../src/modules/tapes/pools.service.js';
import { createCatalogFixture, libraryRequest, type CatalogFixture } from '../catalog-fixture.js';
import { rejectionCode } from '../../support/error-codes.js';

let f: CatalogFixture;
let pools: PoolsService;

before(async () => {
  f = await createCatalogFixture('pools');
  pools = new PoolsService(new PoolsRepository(f.prisma));
  // Two LTO-9 drives on one agent, one on another: at most two copies can be written at once.
  await f.register(libraryRequest('pool-a', ['POL001L9'], { drives: 2 }));
  await f.register(libraryRequest('pool-b', ['POL002L9'], { drives: 1 }));
});

after(() => f?.close());

describe('pools', () => {
  it('creates pools with the full policy and a scratch pool', async () => {
    const scratch = await pools.create({ name: 'scratch9', generation: 9 });
    assert.deepEqual(
      { copies: scratch.copies, dedup: scratch.dedup, retentionRuns: scratch.retentionRuns, scratchPoolId: scratch.scratchPoolId },
      { copies: 1, dedup: false, retentionRuns: null, scratchPoolId: null },
    );
    const p = await pools.create({ name: 'weekly', generation: 9, copies: 2, retentionDays: 35, retentionRuns: 4, scratchPool: 'scratch9', dedup: true });
    assert.equal(p.copies, 2);
    assert.equal(p.retentionDays, 35);
    assert.equal(p.retentionRuns, 4);
    assert.equal(p.dedup, true);
    assert.equal(await pools.nameOf(p.scratchPoolId), 'scratch9');
    // LTO-9 drives also write LTO-8.
    assert.equal((await pools.create({ name: 'old-media', generation: 8, copies: 2 })).copies, 2);
  });

  it('refuses bad pools with stable codes and stores nothing', async () => {
    const before = (await pools.list({ first: 100 })).totalCount;
    assert.equal(await rejectionCode(pools.create({ name: 'too-many', copies: 4 })), 'INVALID_POOL');
    assert.equal(await rejectionCode(pools.create({ name: 'too-few', copies: 0 })), 'INVALID_POOL');
    // Three drives write LTO-9, but no agent has three (copies are written at once by one agent);
    // none can write LTO-10.
    assert.equal(await rejectionCode(pools.create({ name: 'three', generation: 9, copies: 3 })), 'INVALID_POOL');
    assert.equal(await rejectionCode(pools.create({ name: 'lto10', generation: 10, copies: 2 })), 'INVALID_POOL');
    assert.equal(await rejectionCode(pools.create({ name: 'lto7', generation: 7, copies: 2 })), 'INVALID_POOL');
    assert.equal(await rejectionCode(pools.create({ name: 'weekly' })), 'POOL_ALREADY_EXISTS');
    assert.equal(await rejectionCode(pools.create({ name: 'orphan', scratchPool: 'nope' })), 'POOL_NOT_FOUND');
    assert.equal(await rejectionCode(pools.create({ name: 'mixed', generation: 8, scratchPool: 'scratch9' })), 'INVALID_POOL');
    assert.equal(await rejectionCode(pools.create({ name: 'bad name' })), 'INVALID_POOL');
    assert.equal((await pools.list({ first: 100 })).totalCount, before);
  });

  it('updates only what is given and refuses a circle of scratch pools', async () => {
    const p = await pools.update('weekly', { copies: 1, retentionDays: null });
    assert.equal(p.copies, 1);
    assert.equal(await rejectionCode(pools.update('weekly', { copies: 3 })), 'INVALID_POOL');
    assert.equal(p.retentionDays, null);
    assert.equal(p.retentionRuns, 4, 'not given: unchanged');
    assert.equal(await pools.nameOf(p.scratchPoolId), 'scratch9');
    assert.equal(await rejectionCode(pools.update('scratch9', { scratchPool: 'weekly' })), 'INVALID_POOL');
    assert.equal(await rejectionCode(pools.update('scratch9', { scratchPool: 'scratch9' })), 'INVALID_POOL');
    assert.equal(await rejectionCode(pools.update('weekly', { copies: 4 })), 'INVALID_POOL');
    assert.equal(await rejectionCode(pools.update('ghost', { copies: 1 })), 'POOL_NOT_FOUND');
    assert.equal((await pools.getByName('scratch9')).scratchPoolId, null);
    assert.equal((await pools.getByName('weekly')).copies, 1);
    const cleared = await pools.update('weekly', { scratchPool: null });
    assert.equal(cleared.scratchPoolId, null);
  });

  it('refuses a generation change while the pool holds tapes of another generation', async () => {
    await pools.create({ name: 'holding', generation: 9 });
    await f.prisma.client.tape.update({ where: { barcode: 'POL001L9' }, data: { pool: { connect: { name: 'holding' } } } });
    assert.equal(await rejectionCode(pools.update('holding', { generation: 8 })), 'INVALID_POOL');
    assert.equal((await pools.getByName('holding')).generation, 9);
  });
});
