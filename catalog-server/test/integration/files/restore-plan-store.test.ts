// Restore plans on real PostgreSQL: entries written in any order come back per tape in tape order
// (partition, start block, offset), page by page across ties and page edges; entries that need no
// tape come parents first; a plan no unfinished job names is swept after an hour, and one an
// unfinished job names is kept.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FileType, RestoreItem } from '@ferrite/proto';
import type { PlanEntry } from '../../../src/modules/files/restore-plan.store.js';
import { createAgent, createFilesFixture, type FilesFixture } from './files-fixture.js';

const item = (path: string, barcode: string, partition: string, startBlock: number, offset: number): PlanEntry => ({
  barcode,
  partition,
  startBlock,
  offset,
  item: RestoreItem.fromPartial({
    path,
    type: FileType.FILE_TYPE_FILE,
    size: 10,
    location: barcode ? { barcode, partition, startBlock, offset, length: 10, containerPath: `c/${startBlock}` } : undefined,
  }),
});

async function read(f: FilesFixture, planId: string, barcode: string, pageSize: number): Promise<string[]> {
  const out: string[] = [];
  for await (const page of f.plans.pages(planId, barcode, pageSize)) {
    assert.ok(page.length <= pageSize);
    out.push(...page.map((i) => i.path));
  }
  return out;
}

describe('RestorePlanStore', () => {
  let f: FilesFixture;
  before(async () => {
    f = await createFilesFixture('restore-plan-store');
  });
  after(async () => {
    await f?.close();
  });

  it('gives back each tape in tape order, page by page, and what needs no tape parents first', async () => {
    const planId = await f.plans.create();
    // Written in two batches, out of order; /b/x and /b/y share one position (one content, two names).
    await f.plans.add(planId, [
      item('/t1/late', 'T1', 'b', 5, 0),
      item('/t1/b-early', 'T1', 'b', 1, 0),
      item('/b/y', 'T1', 'a', 40, 512),
      item('/t2/only', 'T2', 'b', 7, 0),
    ]);
    await f.plans.add(planId, [
      item('/b/x', 'T1', 'a', 40, 512),
      item('/t1/first', 'T1', 'a', 3, 0),
      item('/t1/same-block-later', 'T1', 'a', 40, 1024),
      { ...item('/d/e/f', '', '', 3, 0) },
      { ...item('/d', '', '', 1, 0) },
      { ...item('/d/e', '', '', 2, 0) },
    ]);
    const expectedT1 = ['/t1/first', '/b/y', '/b/x', '/t1/same-block-later', '/t1/b-early', '/t1/late'];
    for (const pageSize of [1, 2, 3, 100]) {
      assert.deepEqual(await read(f, planId, 'T1', pageSize), expectedT1, `page size ${pageSize}`);
    }
    assert.deepEqual(await read(f, planId, 'T2', 2), ['/t2/only']);
    assert.deepEqual(await read(f, planId, '', 1), ['/d', '/d/e', '/d/e/f']);
    assert.deepEqual(await read(f, planId, 'T9', 5), []);
    // The item comes back as it went in, location included.
    const [first] = (await f.plans.pages(planId, 'T2', 10).next()).value as RestoreItem[];
    assert.equal(first.location?.startBlock, 7);
    assert.equal(first.location?.containerPath, 'c/7');
  });

  it('sweeps plans no unfinished job names once they are an hour old, and keeps the others', async () => {
    const orphan = await f.plans.create();
    const running = await f.plans.create();
    const young = await f.plans.create();
    for (const id of [orphan, running, young]) await f.plans.add(id, [item('/x', 'T1', 'a', 1, 0)]);
    const agentId = await createAgent(f, 'sweeper');
    await f.prisma.client.job.create({ data: { kind: 'RESTORE', status: 'RUNNING', agentId, spec: { planId: running } } });
    await f.prisma.client.job.create({ data: { kind: 'RESTORE', status: 'SUCCEEDED', agentId, spec: { planId: orphan } } });
    const hourAgo = new Date(Date.now() - 61 * 60_000);
    await f.prisma.client.jobPlan.updateMany({ where: { id: { in: [orphan, running] } }, data: { createdAt: hourAgo } });
    assert.ok((await f.plans.sweep()) >= 1);
    const left = new Set((await f.prisma.client.jobPlan.findMany({ select: { id: true } })).map((p) => p.id));
    assert.ok(!left.has(orphan), 'the plan of an ended job goes');
    assert.ok(left.has(running), 'the plan of a running job stays');
    assert.ok(left.has(young), 'a plan younger than an hour stays (its job may be being created)');
    assert.equal(await f.prisma.client.jobPlanItem.count({ where: { planId: orphan } }), 0, 'its entries go with it');
  });
});
