// PostgreSQL restarts under a running catalog server (an upgrade, a crash, a failover): the server
// stays up, answers with a code while the database is away, and serves again once it is back, with
// no restart of its own. Its connection pools drop the dead connections (an idle connection's error
// would otherwise end the process) and open new ones. A real PostgreSQL of its own, stopped and
// started again on the same data directory and port.
import { after, before, test } from 'node:test';
import { testServerConfig } from '../../support/test-server.js';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '@ferrite/db';
import type { GraphQLClient } from 'graphql-request';
import { createLogger } from '../../../src/common/logger.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { adminClient } from '../../support/auth.js';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/stack.js';

let tmp: string;
let port: number;
let db: EmbeddedDatabase | null = null;
let server: RunningServer;
let gql: GraphQLClient;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-pg-restart-'));
  await chmod(tmp, 0o755); // PostgreSQL runs as its own user when we are root
  port = await freePort();
  db = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port });
  server = await startServer(testServerConfig(db.url), {
    logger: createLogger('error', process.stderr),
  });
  gql = adminClient(server);
});

after(async () => {
  await server?.stop();
  await db?.stop();
  await rm(tmp, { recursive: true, force: true });
});

test('the server outlives a PostgreSQL restart and serves again without one of its own', async () => {
  // Every pool holds open connections: a few requests at once, through Prisma (tapes, pools) and
  // through the plain pg pool of the file index (files).
  await Promise.all(
    Array.from({ length: 6 }, () =>
      gql.request('{ tapes { totalCount } pools { totalCount } files(filter: { nameGlob: "x*" }, first: 1) { edges { node { path } } } }'),
    ),
  );
  await gql.request('mutation { registerTape(barcode: "PGR001L9") { barcode } }');

  await db!.stop();
  db = null;
  // Away: a request fails with a code (the token cannot even be checked), the process lives on.
  const away = await gql.request('{ tapes { totalCount } }').then(
    () => 'answered',
    (err: { response?: { errors?: { extensions?: { code?: string } }[] } }) => err.response?.errors?.[0]?.extensions?.code ?? (err as Error).message,
  );
  assert.ok(['CATALOG_ERROR', 'INTERNAL_ERROR', 'QUERY_TIMEOUT'].includes(away), `while PostgreSQL is away: ${away}`);

  db = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port });
  const back = await waitFor(
    'the server to serve again',
    async () => (await gql.request<{ tape: { barcode: string } | null }>('{ tape(barcode: "PGR001L9") { barcode } }')).tape,
    60_000,
    500,
  );
  assert.equal(back.barcode, 'PGR001L9', 'what was written before the restart is there');
  await gql.request('mutation { registerTape(barcode: "PGR002L9") { barcode } }');
  const tapes = await gql.request<{ tapes: { totalCount: number } }>('{ tapes { totalCount } }');
  assert.equal(tapes.tapes.totalCount, 2, 'and writes work again');
});
