// /metrics, /healthz and /readyz of the real in-process server, with a fake agent over real gRPC:
// a format and a backup move the job, byte, file and ingest numbers between two scrapes; a request
// without a token is refused; the probes answer without one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { JobEventType } from '@ferrite/proto';
import type { GraphQLClient } from 'graphql-request';
import { createLogger } from '../../../src/common/logger.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { adminClient, bearer, firstAdminToken } from '../../support/auth.js';
import { FakeAgent } from '../../support/fake-agent.js';
import { sampleValue } from '../../support/prometheus-text.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { testServerConfig } from '../../support/test-server.js';
import { libraryRequest } from '../catalog-fixture.js';

let db: TestDatabase;
let server: RunningServer;
let gql: GraphQLClient;
let agent: FakeAgent;
const BARCODES = ['MET001L9', 'MET002L9'];

before(async () => {
  db = await createTestDatabase('metrics_endpoint');
  server = await startServer(testServerConfig(db.url), { logger: createLogger('error', process.stderr) });
  gql = adminClient(server);
  agent = new FakeAgent(server);
  await agent.register(libraryRequest('metrics-01', BARCODES, { drives: 1 }));
  await agent.openCommands();
  agent.startBeating(200);
});

after(async () => {
  agent?.close();
  await server?.stop();
  await db?.drop();
});

function url(path: string): string {
  return server.graphqlUrl.replace('/graphql', path);
}

async function scrape(): Promise<string> {
  const res = await fetch(url('/metrics'), { headers: bearer(firstAdminToken(server)) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** Runs a job the server assigned to the fake agent through ACKNOWLEDGED .. COMPLETED. */
async function runJob(id: string, progress: { bytesDone: number; filesDone: number }, tape: object, between?: () => Promise<void>): Promise<void> {
  const cmd = await agent.nextCommand();
  assert.equal(cmd.assignJob?.jobId, id);
  const p = { ...progress, bytesTotal: progress.bytesDone, filesTotal: progress.filesDone, currentFile: '/x', currentTape: BARCODES[0] };
  await agent.event(id, JobEventType.JOB_EVENT_TYPE_ACKNOWLEDGED);
  await agent.event(id, JobEventType.JOB_EVENT_TYPE_STARTED);
  await agent.event(id, JobEventType.JOB_EVENT_TYPE_PROGRESS, { progress: p });
  await between?.();
  assert.equal((await agent.event(id, JobEventType.JOB_EVENT_TYPE_COMPLETED, { progress: p, tape })).accepted, true);
}

test('/metrics without a token is refused with 401 JSON; with a bad one too', async () => {
  for (const headers of [{}, bearer('fer_not-a-token')]) {
    const res = await fetch(url('/metrics'), { headers });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(((await res.json()) as { code: string }).code, 'UNAUTHENTICATED');
  }
});

test('/healthz and /readyz answer ok without a token and say nothing else', async () => {
  for (const path of ['/healthz', '/readyz']) {
    const res = await fetch(url(path));
    assert.equal(res.status, 200, path);
    assert.deepEqual(await res.json(), { status: 'ok' });
  }
});

test('a format and a backup move the job, byte, file, ingest and agent numbers between two scrapes', async () => {
  const before = await scrape();
  assert.equal(sampleValue(before, 'ferrite_agents_online'), 1);
  assert.equal(sampleValue(before, 'ferrite_agent_online', { agent: 'metrics-01' }), 1);
  assert.equal(sampleValue(before, 'ferrite_tapes', { state: 'SCRATCH', pool: '' }), 2);
  assert.equal(sampleValue(before, 'ferrite_jobs', { kind: 'BACKUP', status: 'SUCCEEDED' }), null);
  assert.equal(sampleValue(before, 'ferrite_job_bytes_total', { agent: 'metrics-01', kind: 'BACKUP', direction: 'written' }), null);
  assert.equal(sampleValue(before, 'ferrite_job_queue_depth'), 0);
  assert.equal(sampleValue(before, 'ferrite_operator_requests_open'), 0);
  assert.ok((sampleValue(before, 'process_resident_memory_bytes') ?? 0) > 0, 'default process metrics');
  const ingestsBefore = sampleValue(before, 'ferrite_ingest_batch_duration_seconds_count', { outcome: 'stored' }) ?? 0;

  const { formatTape } = await gql.request<{ formatTape: { id: string } }>(`mutation { formatTape(barcode: "${BARCODES[0]}", pool: null) { id } }`);
  const tape = { barcode: BARCODES[0], capacityBytes: 18e12, usedBytes: 524288, volumeUuid: '7b1c9d2e-3f4a-4b5c-8d6e-7f8091a2b3c4', formatted: true };
  await runJob(formatTape.id, { bytesDone: 524288, filesDone: 1 }, tape);

  const { startBackup } = await gql.request<{ startBackup: { id: string } }>(
    `mutation { startBackup(input: { agent: "metrics-01", paths: ["/data"], tape: "${BARCODES[0]}" }) { id } }`,
  );
  await runJob(startBackup.id, { bytesDone: 3_000_000, filesDone: 7 }, { ...tape, usedBytes: 3_524_288 }, async () => {
    // While it runs: one batch of file records (an empty one still goes through the ingest path).
    assert.equal((await agent.files(startBackup.id, 1)).accepted, true);
    const during = await scrape();
    assert.equal(sampleValue(during, 'ferrite_jobs', { kind: 'BACKUP', status: 'RUNNING' }), 1);
    assert.equal(sampleValue(during, 'ferrite_job_bytes_total', { agent: 'metrics-01', kind: 'BACKUP', direction: 'written' }), 3_000_000);
  });
  // A GraphQL query to time.
  await gql.request('{ tapes { totalCount } }');

  const after = await scrape();
  assert.equal(sampleValue(after, 'ferrite_jobs', { kind: 'FORMAT', status: 'SUCCEEDED' }), 1);
  assert.equal(sampleValue(after, 'ferrite_jobs', { kind: 'BACKUP', status: 'SUCCEEDED' }), 1);
  assert.equal(sampleValue(after, 'ferrite_jobs', { kind: 'BACKUP', status: 'RUNNING' }), null);
  assert.equal(sampleValue(after, 'ferrite_job_bytes_total', { agent: 'metrics-01', kind: 'BACKUP', direction: 'written' }), 3_000_000);
  assert.equal(sampleValue(after, 'ferrite_job_files_total', { agent: 'metrics-01', kind: 'BACKUP', direction: 'written' }), 7);
  assert.equal(sampleValue(after, 'ferrite_ingest_batch_duration_seconds_count', { outcome: 'stored' }), ingestsBefore + 1);
  assert.equal(sampleValue(after, 'ferrite_tapes', { state: 'SCRATCH', pool: '' }), 1);
  assert.ok((sampleValue(after, 'ferrite_graphql_request_duration_seconds_count', { operation: 'query', field: 'tapes', outcome: 'ok' }) ?? 0) >= 1);
  assert.ok((sampleValue(after, 'ferrite_db_pool_connections', { pool: 'bulk', state: 'total' }) ?? -1) >= 0);
});
