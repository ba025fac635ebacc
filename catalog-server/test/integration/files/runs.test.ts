import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createAgent, createFilesFixture, createTape, fileRecord, type FilesFixture, errorCodeOf as code } from './files-fixture.js';

describe('backup runs', () => {
  let f: FilesFixture;
  let agentId: string;

  before(async () => {
    f = await createFilesFixture('files-runs');
    agentId = await createAgent(f, 'host-r');
    await createTape(f, 'RUN001L9');
  });
  after(() => f.close());

  const newJob = async () => (await f.prisma.client.job.create({ data: { kind: 'BACKUP', agentId, spec: {} } })).id;

  it('creates one run per root, in order, and reuses them for a retried attempt', async () => {
    const jobId = await newJob();
    const ids = await f.runs.createBackupRuns({ jobId, host: 'host-r', roots: ['/srv/b', '/srv/a/', '/srv/b'], level: 'FULL' });
    assert.equal(ids.length, 3);
    assert.equal(ids[0], ids[2]);
    assert.notEqual(ids[0], ids[1]);
    const runs = await f.prisma.client.run.findMany({ where: { jobId }, include: { host: true } });
    assert.deepEqual(runs.map((r) => r.root).sort(), ['/srv/a', '/srv/b']);
    assert.ok(runs.every((r) => r.host.name === 'host-r' && r.level === 'FULL' && r.finishedAt === null));
    assert.deepEqual(await f.runs.createBackupRuns({ jobId, host: 'host-r', roots: ['/srv/a', '/srv/b'], level: 'FULL' }), [ids[1], ids[0]]);
    assert.equal(await code(f.runs.createBackupRuns({ jobId, host: 'other-host', roots: ['/srv/a'], level: 'FULL' })), 'INVALID_ARGUMENT');
  });

  it('refuses unknown jobs and bad roots', async () => {
    assert.equal(await code(f.runs.createBackupRuns({ jobId: randomUUID(), host: 'h', roots: ['/x'], level: 'FULL' })), 'JOB_NOT_FOUND');
    assert.equal(await code(f.runs.createBackupRuns({ jobId: 'x', host: 'h', roots: ['/x'], level: 'FULL' })), 'JOB_NOT_FOUND');
    assert.equal(await code(f.runs.createBackupRuns({ jobId: await newJob(), host: 'h', roots: ['x'], level: 'FULL' })), 'INVALID_PATH');
    assert.equal(await code(f.runs.createBackupRuns({ jobId: await newJob(), host: 'h', roots: [], level: 'FULL' })), 'INVALID_ARGUMENT');
  });

  it('counts what each run archived when the job finishes', async () => {
    const jobId = await newJob();
    const [a, b] = await f.runs.createBackupRuns({ jobId, host: 'host-r', roots: ['/c/a', '/c/b'], level: 'FULL' });
    const records = [fileRecord('/c/a/1', 'RUN001L9', 1), fileRecord('/c/a/2', 'RUN001L9', 2), fileRecord('/c/b/1', 'RUN001L9', 3)];
    await f.files.ingestBatch({ jobId, attempt: 1, batchSeq: 1, agentId, records, manifestPath: '' });
    await f.runs.finishBackupRuns(jobId);
    const run = async (id: string) => f.runs.run(id);
    assert.equal((await run(a))!.added, 2);
    assert.equal((await run(b))!.added, 1);
    assert.ok((await run(a))!.finishedAt instanceof Date);
    assert.equal(await f.runs.run('not-a-uuid'), null);
    assert.equal(await f.runs.run(randomUUID()), null);
  });

  it('lists runs newest first with stable cursors', async () => {
    const all = await f.runs.runs('host-r', 1000, undefined);
    assert.equal(all.totalCount, all.edges.length);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await f.runs.runs('host-r', 2, after);
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor!;
    }
    assert.deepEqual(
      seen,
      all.edges.map((e) => e.node.id),
    );
    const starts = all.edges.map((e) => e.node.startedAt.getTime());
    assert.deepEqual(
      starts,
      [...starts].sort((x, y) => y - x),
    );
    assert.equal(await code(f.runs.runs(undefined, 2, after)), 'INVALID_CURSOR');
    assert.equal(await code(f.runs.runs('nobody', 2, undefined)), 'HOST_NOT_FOUND');
  });
});
