// ReportRebuild over real gRPC into a real database, from a fake agent: what a rebuild report adds
// (the backup job, its runs, versions and placements of every copy, an unknown copy tape on the
// shelf), that a repeated report adds nothing, and the reports that must be refused.
import { after, before, test } from 'node:test';
import { testServerConfig } from '../../support/test-server.js';
import assert from 'node:assert/strict';
import { randomUUID, createHash } from 'node:crypto';
import type { ServiceError } from '@grpc/grpc-js';
import { FileType, ReportRebuildRequest, type DeepPartial, type ReportRebuildResponse } from '@ferrite/proto';
import { GraphQLClient } from 'graphql-request';
import { adminClient } from '../../support/auth.js';
import pg from 'pg';
import { createLogger } from '../../../src/common/logger.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { FakeAgent } from '../../support/fake-agent.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { libraryRequest } from '../catalog-fixture.js';
import { errorCodeOf } from '../../support/graphql-ops.js';

let db: TestDatabase;
let server: RunningServer;
let gql: GraphQLClient;
let agent: FakeAgent;
let rebuildJobId: string;
const TAPE = 'RBR001L9';
const COPY2 = 'RBR009L9';
const backupJob = randomUUID();
const runId = randomUUID();
const label = JSON.stringify({
  format: 'ferrite',
  formatVersion: 1,
  barcode: TAPE,
  volumeUuid: randomUUID(),
  pool: null,
  createdAt: '2026-11-01T10:00:00.000Z',
});
const header = JSON.stringify({
  v: 1,
  job: backupJob,
  attempt: 1,
  host: 'ws-7',
  startedAt: '2026-11-02T01:00:00.000Z',
  runs: [{ id: runId, root: '/srv', level: 'FULL', baseRunId: null }],
  tapes: [TAPE, COPY2],
});
const sha = createHash('sha256').update('payload').digest();

before(async () => {
  db = await createTestDatabase('rebuild_report');
  const config = testServerConfig(db.url);
  server = await startServer(config, { logger: createLogger('error', process.stderr) });
  gql = adminClient(server);
  agent = new FakeAgent(server);
  await agent.register(
    libraryRequest('rebuilder', [TAPE], {
      drives: 1,
      tapes: [{ barcode: TAPE, generation: 9, capacityBytes: 1e12, formatted: true, detailsKnown: true, volumeUuid: '' }],
    }),
  );
  await agent.openCommands();
  agent.startBeating(200);
  const r = await gql.request<{ rebuildCatalog: { id: string } }>(`mutation { rebuildCatalog(input: { tape: "${TAPE}" }) { id } }`);
  rebuildJobId = r.rebuildCatalog.id;
  const cmd = await agent.nextCommand();
  assert.equal(cmd.assignJob?.jobId, rebuildJobId);
  assert.equal(cmd.assignJob?.rebuild?.barcode, TAPE);
});

after(async () => {
  agent?.close();
  await server?.stop();
  await db?.drop();
});

function report(over: DeepPartial<ReportRebuildRequest> = {}): Promise<ReportRebuildResponse> {
  const req = ReportRebuildRequest.fromPartial<DeepPartial<ReportRebuildRequest>>({
    agentId: agent.agentId,
    jobId: rebuildJobId,
    attempt: 1,
    labelJson: label,
    jobHeaderJson: header,
    manifestPath: `ferrite/manifests/${backupJob}-000001.jsonl`,
    sourceJobId: backupJob,
    sourceAttempt: 1,
    sourceBatchSeq: 1,
    sourceHost: 'ws-7',
    lastOfJob: true,
    files: [
      { path: '/srv', type: FileType.FILE_TYPE_DIRECTORY, mtimeMs: 1, ctimeMs: 1, inode: 1, mode: 0o40755 },
      {
        path: '/srv/a.bin',
        type: FileType.FILE_TYPE_FILE,
        size: 7,
        mtimeMs: 2,
        ctimeMs: 2,
        inode: 2,
        mode: 0o100644,
        sha256: sha,
        locations: [
          { barcode: TAPE, partition: 'b', startBlock: 5, containerPath: `ferrite/data/${backupJob}/bundles/000001.tar`, offset: 512, length: 7, copy: 1 },
          { barcode: COPY2, partition: 'b', startBlock: 6, containerPath: `ferrite/data/${backupJob}/bundles/000001.tar`, offset: 512, length: 7, copy: 2 },
        ],
      },
    ],
    ...over,
  });
  return new Promise((resolve, reject) => agent.client.reportRebuild(req, (err, res) => (err ? reject(err) : resolve(res))));
}

async function refusal(op: Promise<unknown>): Promise<string> {
  try {
    await op;
  } catch (err) {
    return String((err as ServiceError).metadata?.get('ferrite-code')[0]);
  }
  assert.fail('expected the report to be refused');
}

const versions = async () =>
  (
    await gql.request<{
      files: { edges: Array<{ node: { path: string; runId: string; jobId: string; placements: Array<{ barcode: string; copy: number }> } }> };
    }>('{ files(filter: { host: "ws-7" }) { edges { node { path runId jobId placements { barcode copy } } } } }')
  ).files.edges.map((e) => e.node);

test("refuses reports that are not this rebuild's, and changes nothing", async () => {
  assert.equal(await refusal(report({ labelJson: label.replace(TAPE, 'OTHER1L9') })), 'LABEL_MISMATCH');
  assert.equal(await refusal(report({ labelJson: '{"barcode":"x"}' })), 'INVALID_REBUILD_REPORT');
  assert.equal(await refusal(report({ jobHeaderJson: header.replace('"/srv"', '"srv"') })), 'INVALID_REBUILD_REPORT');
  assert.equal(await refusal(report({ sourceJobId: 'not-a-job' })), 'INVALID_REBUILD_REPORT');
  // A record the catalog cannot take (outside the job's runs) refuses the whole report first.
  assert.equal(
    await refusal(report({ files: [{ path: '/etc/passwd', type: FileType.FILE_TYPE_FILE, size: 0, sha256: createHash('sha256').digest() }] })),
    'INVALID_RECORD',
  );
  assert.equal(await refusal(report({ attempt: 2 })), 'STALE_ATTEMPT');
  assert.equal(await refusal(report({ jobId: randomUUID() })), 'JOB_NOT_FOUND');
  // No run, job or tape recorded by a refused report.
  assert.equal((await gql.request<{ runs: { totalCount: number } }>('{ runs { totalCount } }')).runs.totalCount, 0);
  assert.equal(await errorCodeOf(gql.request('query($id: ID!) { job(id: $id) { id } }', { id: backupJob })), 'JOB_NOT_FOUND');
  assert.equal(await errorCodeOf(gql.request(`{ tape(barcode: "${COPY2}") { barcode } }`)), 'TAPE_NOT_FOUND');
  const tape = await gql.request<{ tape: { state: string } }>(`{ tape(barcode: "${TAPE}") { state } }`);
  assert.equal(tape.tape.state, 'SCRATCH', 'the label was not applied either');
});

test('adds the job, its run, the versions and both copies, and registers the unknown copy tape', async () => {
  assert.deepEqual(await report(), { added: true, records: 2 });
  const got = await versions();
  assert.deepEqual(got.map((v) => [v.path, v.runId, v.jobId]).sort(), [
    ['/srv', runId, backupJob],
    ['/srv/a.bin', runId, backupJob],
  ]);
  assert.deepEqual(
    got
      .find((v) => v.path === '/srv/a.bin')!
      .placements.map((p) => [p.barcode, p.copy])
      .sort(),
    [
      [TAPE, 1],
      [COPY2, 2],
    ],
  );
  const run = await gql.request<{ run: { root: string; level: string; added: number; startedAt: string; finishedAt: string } }>(
    'query($id: ID!) { run(id: $id) { root level added startedAt finishedAt } }',
    { id: runId },
  );
  assert.deepEqual(run.run, { root: '/srv', level: 'FULL', added: 2, startedAt: '2026-11-02T01:00:00.000Z', finishedAt: '2026-11-02T01:00:00.000Z' });
  const job = await gql.request<{ job: { kind: string; status: string } }>('query($id: ID!) { job(id: $id) { kind status } }', { id: backupJob });
  assert.deepEqual(job.job, { kind: 'BACKUP', status: 'SUCCEEDED' });
  const tapes = await gql.request<{ a: { state: string; formatted: boolean }; b: { state: string; location: { onShelf: boolean } } }>(
    `{ a: tape(barcode: "${TAPE}") { state formatted } b: tape(barcode: "${COPY2}") { state location { onShelf } } }`,
  );
  assert.deepEqual(tapes.a, { state: 'ACTIVE', formatted: true });
  assert.equal(tapes.b.location.onShelf, true);
});

test('a manifest the catalog holds adds nothing', async () => {
  assert.deepEqual(await report(), { added: false, records: 0 });
  assert.equal((await versions()).length, 2);
});

test('recycling: locations on a copy tape recycled after the job began are left out; a tape awaiting its format gives no rebuild', async () => {
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  try {
    // COPY2 was recycled (and reformatted) after this older job wrote it: its copy is gone.
    await sql.query(`UPDATE tape SET recycled_at = '2026-11-20T00:00:00Z' WHERE barcode = $1`, [COPY2]);
    const oldJob = randomUUID();
    const oldHeader = header.replace(backupJob, oldJob).replace(runId, randomUUID());
    const path = `ferrite/manifests/${oldJob}-000001.jsonl`;
    const res = await report({
      sourceJobId: oldJob,
      jobHeaderJson: oldHeader,
      manifestPath: path,
      files: [
        {
          path: '/srv/b.bin',
          type: FileType.FILE_TYPE_FILE,
          size: 7,
          mtimeMs: 3,
          ctimeMs: 3,
          inode: 3,
          mode: 0o100644,
          sha256: createHash('sha256').update('other').digest(),
          locations: [
            { barcode: TAPE, partition: 'b', startBlock: 9, containerPath: 'x', offset: 0, length: 7, copy: 1 },
            { barcode: COPY2, partition: 'b', startBlock: 9, containerPath: 'x', offset: 0, length: 7, copy: 2 },
          ],
        },
      ],
    });
    assert.deepEqual(res, { added: true, records: 1 });
    const b = (await versions()).find((v) => v.path === '/srv/b.bin');
    assert.deepEqual(
      b?.placements.map((p) => [p.barcode, p.copy]),
      [[TAPE, 1]],
    );
    // What earlier reports recorded is not touched (retention removes placements, not the rebuild).
    assert.equal((await versions()).find((v) => v.path === '/srv/a.bin')?.placements.length, 2);

    // The rebuilt tape itself recycled and awaiting its format: its reports are refused, nothing changes.
    await sql.query(`UPDATE tape SET recycled_at = now(), reformat_pending = true, state = 'SCRATCH' WHERE barcode = $1`, [TAPE]);
    const before = (await versions()).length;
    assert.equal(await refusal(report({ sourceJobId: randomUUID(), sourceBatchSeq: 7 })), 'TAPE_NOT_FORMATTED');
    assert.equal((await versions()).length, before);
    assert.equal(
      await errorCodeOf(gql.request(`mutation { rebuildCatalog(input: { tape: "${TAPE}" }) { id } }`)),
      'TAPE_NOT_FORMATTED',
      'no new rebuild of a tape awaiting its format either',
    );
  } finally {
    await sql.end();
  }
});
