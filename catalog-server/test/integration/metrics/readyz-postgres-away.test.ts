// /readyz follows the catalog database: 503 while its PostgreSQL is stopped (within a few seconds,
// not the connection timeout), 200 again once it is back, with no restart of the server; /healthz
// says the process is alive throughout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../src/common/logger.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { startDedicatedPostgres, type DedicatedPostgres } from '../../support/dedicated-postgres.js';
import { waitFor } from '../../support/stack.js';
import { testServerConfig } from '../../support/test-server.js';

let pg: DedicatedPostgres;
let server: RunningServer;

before(async () => {
  pg = await startDedicatedPostgres();
  server = await startServer(testServerConfig(pg.adminUrl), { logger: createLogger('silent') });
});

after(async () => {
  await server?.stop();
  await pg?.close();
});

async function probe(path: string): Promise<{ status: number; body: unknown; ms: number }> {
  const t = Date.now();
  const res = await fetch(server.graphqlUrl.replace('/graphql', path));
  return { status: res.status, body: await res.json(), ms: Date.now() - t };
}

test('/readyz is 503 while PostgreSQL is stopped and 200 again after it is back', async () => {
  const up = await probe('/readyz');
  assert.equal(up.status, 200);
  assert.deepEqual(up.body, { status: 'ok' });

  await pg.stop();
  const away = await probe('/readyz');
  assert.equal(away.status, 503);
  assert.deepEqual(away.body, { status: 'unavailable' });
  assert.ok(away.ms < 5000, `answered in ${away.ms} ms`);
  assert.equal((await probe('/healthz')).status, 200);

  await pg.start();
  await waitFor('/readyz to answer 200 again', async () => (await probe('/readyz')).status === 200, 20_000);
  assert.deepEqual((await probe('/readyz')).body, { status: 'ok' });
});
