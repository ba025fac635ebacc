// Point-in-time browsing and restore selection on a real PostgreSQL: a FULL run, then an
// INCREMENTAL that modifies, deletes and adds; directory(host, path, asOf) by run and by instant,
// its paging and errors, and the entry set a restore "as of" brings back.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FileRecord } from '@ferrite/proto';
import { createAgent, createFilesFixture, createTape, dirRecord, fileRecord, sha256, type FilesFixture, errorCodeOf as code } from './files-fixture.js';

const TAPE = 'PIT001L9';
const HOST = 'host-p';

describe('point in time', () => {
  let f: FilesFixture;
  let agentId: string;
  let run1: string;
  let run2: string;
  let beforeRun1: Date;
  let between: Date;

  const backup = async (level: 'FULL' | 'INCREMENTAL', records: FileRecord[]) => {
    const job = await f.prisma.client.job.create({ data: { kind: 'BACKUP', status: 'RUNNING', agentId, spec: { paths: ['/pit'], level } } });
    const [runId] = await f.runs.createBackupRuns({ jobId: job.id, host: HOST, roots: ['/pit'], level });
    await f.runs.resolveBase(job.id, '/pit');
    await f.files.ingestBatch({ jobId: job.id, attempt: 1, batchSeq: 1, agentId, records, manifestPath: '' });
    await f.runs.finishBackupRuns(job.id);
    return runId;
  };
  const list = async (path: string, asOf?: string, first = 100) => {
    const page = await f.pointInTime.directory(HOST, path, asOf, first, null);
    return page.edges.map((e) => `${e.node.name}${e.node.sha256 ? `:${e.node.sha256.slice(0, 6)}` : ''}`);
  };
  const short = (s: string) => sha256(s).toString('hex').slice(0, 6);

  before(async () => {
    f = await createFilesFixture('files-pit');
    agentId = await createAgent(f, HOST);
    await createTape(f, TAPE);
    await createAgent(f, 'other-host');
    beforeRun1 = new Date();
    await sleep(20);
    run1 = await backup('FULL', [
      dirRecord('/pit'),
      dirRecord('/pit/sub'),
      fileRecord('/pit/a', TAPE, 1, { sha256: sha256('a1') }),
      fileRecord('/pit/b', TAPE, 2, { sha256: sha256('b1') }),
      fileRecord('/pit/sub/x', TAPE, 3, { sha256: sha256('x1') }),
    ]);
    await sleep(20);
    between = new Date();
    await sleep(20);
    const gone = (path: string): FileRecord => ({ ...fileRecord(path, TAPE, 0), size: 0, sha256: Buffer.alloc(0), locations: [], deleted: true });
    run2 = await backup('INCREMENTAL', [
      fileRecord('/pit/a', TAPE, 10, { sha256: sha256('a2') }),
      gone('/pit/b'),
      fileRecord('/pit/c', TAPE, 11, { sha256: sha256('c2') }),
      fileRecord('/pit/sub/y', TAPE, 12, { sha256: sha256('y2') }),
    ]);
  });
  after(() => f.close());

  it('lists a directory as each run saw it', async () => {
    assert.deepEqual(await list('/pit', run1), [`a:${short('a1')}`, `b:${short('b1')}`, 'sub']);
    assert.deepEqual(await list('/pit', run2), [`a:${short('a2')}`, `c:${short('c2')}`, 'sub']);
    assert.deepEqual(await list('/pit/sub', run1), [`x:${short('x1')}`]);
    assert.deepEqual(await list('/pit/sub', run2), [`x:${short('x1')}`, `y:${short('y2')}`]);
  });

  it('lists a directory at an instant: the newest run finished by then', async () => {
    assert.deepEqual(await list('/pit', between.toISOString()), await list('/pit', run1));
    assert.deepEqual(await list('/pit', new Date().toISOString()), await list('/pit', run2));
    assert.deepEqual(await list('/pit'), await list('/pit', run2), 'no asOf means now');
    assert.deepEqual(await list('/pit', beforeRun1.toISOString()), []);
  });

  it('pages by name with cursors tied to the query', async () => {
    const names: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await f.pointInTime.directory(HOST, '/pit', run2, 1, after);
      names.push(...page.edges.map((e) => e.node.name));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    assert.deepEqual(names, ['a', 'c', 'sub']);
    const first = await f.pointInTime.directory(HOST, '/pit', run2, 1, null);
    assert.equal(await code(f.pointInTime.directory(HOST, '/pit', run1, 1, first.pageInfo.endCursor)), 'INVALID_CURSOR');
  });

  it('refuses bad input with stable codes', async () => {
    assert.equal(await code(f.pointInTime.directory('nobody', '/pit', run1, 10, null)), 'HOST_NOT_FOUND');
    assert.equal(await code(f.pointInTime.directory(HOST, '/pit', 'yesterday', 10, null)), 'INVALID_ARGUMENT');
    assert.equal(await code(f.pointInTime.directory(HOST, '/pit', '2026-13-45T00:00:00Z', 10, null)), 'INVALID_ARGUMENT');
    assert.equal(await code(f.pointInTime.directory(HOST, '/pit', randomUUID(), 10, null)), 'RUN_NOT_FOUND');
    assert.equal(await code(f.pointInTime.directory(HOST, '/nowhere', run1, 10, null)), 'FILE_NOT_FOUND');
    assert.equal(await code(f.pointInTime.directory(HOST, 'pit', run1, 10, null)), 'INVALID_PATH');
    assert.equal(await code(f.pointInTime.directory(HOST, '/pit', run1, 0, null)), 'INVALID_ARGUMENT');
    // A run of another host is refused (the other host needs a catalog entry first).
    const otherAgent = (await f.prisma.client.agent.findUnique({ where: { name: 'other-host' } }))!.id;
    const job = await f.prisma.client.job.create({ data: { kind: 'BACKUP', agentId: otherAgent, spec: {} } });
    const [otherRun] = await f.runs.createBackupRuns({ jobId: job.id, host: 'other-host', roots: ['/o'], level: 'FULL' });
    assert.equal(await code(f.pointInTime.directory(HOST, '/pit', otherRun, 10, null)), 'INVALID_ARGUMENT');
  });

  it('selects exactly the state as of a run for a restore', async () => {
    const paths = async (asOf?: string) => {
      const plan = await f.restorePlan({ host: HOST, pathPrefix: '/pit', asOf });
      const files = plan.tapes.flatMap((t) => t.items.map((i) => `${i.path}:${Buffer.from(i.sha256).toString('hex').slice(0, 6)}`));
      return [...files, ...plan.metadataItems.map((i) => i.path)].sort();
    };
    assert.deepEqual(await paths(run1), ['/pit', `/pit/a:${short('a1')}`, `/pit/b:${short('b1')}`, '/pit/sub', `/pit/sub/x:${short('x1')}`].sort());
    assert.deepEqual(
      await paths(run2),
      ['/pit', `/pit/a:${short('a2')}`, `/pit/c:${short('c2')}`, '/pit/sub', `/pit/sub/x:${short('x1')}`, `/pit/sub/y:${short('y2')}`].sort(),
    );
    assert.deepEqual(await paths(), await paths(run2), 'without asOf: newest versions, deleted files not brought back');
    assert.equal(await code(f.restorePlan({ runId: run1, asOf: run1 })), 'INVALID_SELECTION');
    assert.equal(await code(f.restorePlan({ host: HOST, pathPrefix: '/pit', asOf: beforeRun1.toISOString() })), 'NOTHING_TO_RESTORE');
  });

  it('lists every version of a file with the tape positions of each', async () => {
    const versions = await f.search.fileVersions(HOST, '/pit/a');
    assert.deepEqual(
      versions.map((v) => [v.runId, v.sha256?.slice(0, 6), v.placements.map((p) => [p.barcode, p.startBlock])]),
      [
        [run2, short('a2'), [[TAPE, 10]]],
        [run1, short('a1'), [[TAPE, 1]]],
      ],
    );
  });
});
