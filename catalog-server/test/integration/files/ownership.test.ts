// File ownership through the real server (real database, a fake agent over real gRPC, an operator
// over GraphQL): a backup's ReportFiles carries uid, gid, owner and group; GraphQL's FileVersion
// shows them; a restore's RestoreItems hands them back to the agent. A record without ownership
// (an agent from before it was recorded) gives nulls in GraphQL and no owner in its restore item.
import { after, before, describe, it } from 'node:test';
import { testServerConfig } from '../../support/test-server.js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { FileType, JobEventType, ReportFilesRequest, RestoreItemsRequest, type DeepPartial, type FileRecord, type RestoreItem } from '@ferrite/proto';
import type { GraphQLClient } from 'graphql-request';
import { adminClient } from '../../support/auth.js';
import { createLogger } from '../../../src/common/logger.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { FakeAgent } from '../../support/fake-agent.js';
import { startBackup, startRestore } from '../../support/graphql-ops.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { libraryRequest } from '../catalog-fixture.js';

const AGENT = 'owner-01';
const TAPE = 'OWN001L9';
const NFSNOBODY = 4_294_967_294; // (uid_t)-2: past GraphQL's Int and PostgreSQL's int4

/** What the test sends for each path (numbers, then names) and expects back. */
const OWNERS: Record<string, { uid?: number; gid?: number; owner: string; group: string }> = {
  '/srv': { uid: 0, gid: 0, owner: 'root', group: 'root' },
  '/srv/anna.txt': { uid: 1000, gid: 1000, owner: 'anna', group: 'anna' },
  '/srv/link': { uid: 1000, gid: 50, owner: 'anna', group: 'staff' },
  '/srv/nfs.dat': { uid: NFSNOBODY, gid: NFSNOBODY, owner: 'nfsnobody', group: 'nfsnobody' },
  // Numbers without a name on the source host.
  '/srv/orphan.bin': { uid: 4242, gid: 4343, owner: '', group: '' },
  // An agent from before ownership was recorded sends none.
  '/srv/legacy.txt': { owner: '', group: '' },
};

function record(path: string, startBlock: number): DeepPartial<FileRecord> {
  const common = { path, mtimeMs: 1_700_000_000_000, ctimeMs: 1_700_000_000_000, inode: startBlock + 1, ...OWNERS[path] };
  if (path === '/srv') return { ...common, type: FileType.FILE_TYPE_DIRECTORY, mode: 0o40755 };
  if (path === '/srv/link') return { ...common, type: FileType.FILE_TYPE_SYMLINK, mode: 0o120777, symlinkTarget: 'anna.txt', size: 8 };
  const body = `bytes of ${path}`;
  return {
    ...common,
    type: FileType.FILE_TYPE_FILE,
    mode: 0o100640,
    size: body.length,
    sha256: createHash('sha256').update(body).digest(),
    locations: [{ barcode: TAPE, partition: 'b', startBlock, containerPath: `ferrite/data/x${path}`, offset: 0, length: body.length, copy: 1 }],
  };
}

describe('file ownership: ReportFiles -> catalog -> GraphQL and RestoreItems', () => {
  let db: TestDatabase;
  let server: RunningServer;
  let gql: GraphQLClient;
  let agent: FakeAgent;

  before(async () => {
    db = await createTestDatabase('ownership');
    server = await startServer(testServerConfig(db.url), {
      logger: createLogger('error', process.stderr),
    });
    gql = adminClient(server);
    agent = new FakeAgent(server);
    await agent.register(
      libraryRequest(AGENT, [TAPE], {
        drives: 1,
        tapes: [{ barcode: TAPE, generation: 9, capacityBytes: 1e12, formatted: true, detailsKnown: true, volumeUuid: '' }],
      }),
    );
    await agent.openCommands();
    agent.startBeating(200);

    const jobId = await startBackup(gql, { agent: AGENT, paths: ['/srv'], tape: TAPE });
    assert.equal((await agent.nextCommand()).assignJob?.jobId, jobId);
    await agent.event(jobId, JobEventType.JOB_EVENT_TYPE_ACKNOWLEDGED);
    await agent.event(jobId, JobEventType.JOB_EVENT_TYPE_STARTED);
    const files = Object.keys(OWNERS).map((path, i) => record(path, 10 + i));
    const req = ReportFilesRequest.fromPartial({
      agentId: agent.agentId,
      jobId,
      attempt: 1,
      batchSeq: 1,
      files,
      manifestPath: 'ferrite/manifests/x-000001.jsonl',
    });
    const stored = await new Promise<number>((resolve, reject) => agent.client.reportFiles(req, (err, res) => (err ? reject(err) : resolve(res.stored))));
    assert.equal(stored, files.length);
    assert.equal((await agent.event(jobId, JobEventType.JOB_EVENT_TYPE_COMPLETED)).accepted, true);
  });

  after(async () => {
    agent?.close();
    await server?.stop();
    await db?.drop();
  });

  it('FileVersion shows uid, gid, owner and group; null where unknown', async () => {
    const r = await gql.request<{
      files: { edges: Array<{ node: { path: string; uid: number | null; gid: number | null; owner: string | null; group: string | null } }> };
    }>(`{ files(filter: { host: "${AGENT}", pathPrefix: "/srv" }) { edges { node { path uid gid owner group } } } }`);
    const got = Object.fromEntries(r.files.edges.map(({ node: { path, ...rest } }) => [path, rest]));
    assert.deepEqual(got, {
      '/srv': { uid: 0, gid: 0, owner: 'root', group: 'root' },
      '/srv/anna.txt': { uid: 1000, gid: 1000, owner: 'anna', group: 'anna' },
      '/srv/link': { uid: 1000, gid: 50, owner: 'anna', group: 'staff' },
      '/srv/nfs.dat': { uid: NFSNOBODY, gid: NFSNOBODY, owner: 'nfsnobody', group: 'nfsnobody' },
      '/srv/orphan.bin': { uid: 4242, gid: 4343, owner: null, group: null },
      '/srv/legacy.txt': { uid: null, gid: null, owner: null, group: null },
    });
  });

  it('RestoreItems carries them to the restoring agent, and nothing for a version without ownership', async () => {
    const jobId = await startRestore(gql, { agent: AGENT, selection: { host: AGENT, pathPrefix: '/srv' }, targetDirectory: '/restore/owned' });
    const cmd = await agent.nextCommand();
    assert.equal(cmd.assignJob?.jobId, jobId);
    assert.equal(cmd.assignJob?.restore?.streamItems, true);
    const items: RestoreItem[] = [];
    for (const barcode of [TAPE, '']) {
      const stream = agent.client.restoreItems(RestoreItemsRequest.fromPartial({ agentId: agent.agentId, jobId, attempt: 1, barcode }));
      for await (const page of stream) items.push(...(page as { items: RestoreItem[] }).items);
    }
    const got = Object.fromEntries(items.map((i) => [i.path, { uid: i.uid, gid: i.gid, owner: i.owner, group: i.group }]));
    assert.deepEqual(got, {
      ...OWNERS,
      '/srv/legacy.txt': { uid: undefined, gid: undefined, owner: '', group: '' },
    });
  });
});
