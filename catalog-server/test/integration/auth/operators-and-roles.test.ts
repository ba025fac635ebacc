// Closed by default, through the real server over HTTP and WebSocket on a real database: no request
// without a valid token reaches a resolver (not even __typename or introspection), and every
// operation of the schema, walked from the schema itself, is refused to the roles below the one it
// declares and allowed to the ones at or above it. Refusals are GraphQL-shaped JSON with a code.
import { after, before, describe, it } from 'node:test';
import { testServerConfig } from '../../support/test-server.js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { buildClientSchema, getIntrospectionQuery, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { createLogger } from '../../../src/common/logger.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { bearer, firstAdminToken } from '../../support/auth.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { assertNoServerDetails, BAD_BODIES, codeOf, postGraphql, QUERY_BOMBS, type GqlBody } from '../../support/graphql-http.js';
import { wsOperation } from '../../support/graphql-ws.js';
import { httpRoutes, PRIVILEGED_OPERATIONS, ROLES, roleBelow, schemaOperations, type RoleName } from '../../support/role-matrix.js';

/** The earlier tests fail fewer authentications than this; the last one goes past it. */
const AUTH_FAILURES_PER_MINUTE = 40;
let db: TestDatabase;
let server: RunningServer;
let tokenFile: string;
const tokens = {} as Record<RoleName, string>;

type GqlAnswer = { status: number; body: GqlBody };

const post = (query: string, headers: Record<string, string> = {}, variables?: Record<string, unknown>): Promise<GqlAnswer> =>
  postGraphql(server.graphqlUrl, query, { headers, variables });

const as = (role: RoleName) => bearer(tokens[role]);

before(async () => {
  db = await createTestDatabase('auth_roles');
  tokenFile = path.join(os.tmpdir(), `ferrite-admin-token-${process.pid}-${Date.now()}`, 'admin-token');
  const config = testServerConfig(db.url, {
    FERRITE_ADMIN_TOKEN_FILE: tokenFile,
    FERRITE_AUTH_FAILURES_PER_MINUTE: String(AUTH_FAILURES_PER_MINUTE),
  });
  server = await startServer(config, { logger: createLogger('error', process.stderr) });
  tokens.ADMIN = firstAdminToken(server);
  for (const role of ['VIEWER', 'OPERATOR'] as const) {
    const name = `matrix-${role.toLowerCase()}`;
    const op = await post(`mutation { createOperator(input: { name: "${name}", role: ${role} }) { name role } }`, as('ADMIN'));
    assert.deepEqual(op.body.data?.createOperator, { name, role }, JSON.stringify(op.body));
    const t = await post(`mutation { createApiToken(input: { operator: "${name}", name: "matrix" }) { token apiToken { operator } } }`, as('ADMIN'));
    tokens[role] = (t.body.data?.createApiToken as { token: string }).token;
  }
});

after(async () => {
  await server?.stop();
  await db?.drop();
});

describe('the first start', () => {
  it('wrote the first admin token to the configured file, mode 0600, and keeps only its hash', async () => {
    assert.equal((await readFile(tokenFile, 'utf8')).trim(), tokens.ADMIN);
    assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);
    const me = await post('{ me { name role } }', as('ADMIN'));
    assert.deepEqual(me.body.data?.me, { name: 'admin', role: 'ADMIN' });
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const rows = (await c.query<{ h: Buffer }>('SELECT secret_hash AS h FROM api_token')).rows;
      assert.equal(rows.length, 3);
      const wanted = createHash('sha256').update(tokens.ADMIN).digest();
      assert.ok(
        rows.some((r) => r.h.equals(wanted)),
        'the SHA-256 of the token is stored',
      );
      const all = JSON.stringify((await c.query('SELECT * FROM api_token')).rows);
      for (const t of Object.values(tokens)) assert.ok(!all.includes(t.slice(4)), 'no token secret in the table');
    } finally {
      await c.end();
    }
  });

  it('a second start on the same catalog creates no admin and leaves the file alone', async () => {
    const again = await startServer(
      testServerConfig(db.url, {
        FERRITE_ADMIN_TOKEN_FILE: tokenFile,
      }),
      { logger: createLogger('error', process.stderr) },
    );
    try {
      assert.equal(again.firstAdminToken, null);
      assert.equal((await readFile(tokenFile, 'utf8')).trim(), tokens.ADMIN);
    } finally {
      await again.stop();
    }
  });
});

describe('a request without a valid token', () => {
  const refusals: Array<[string, Record<string, string>, RegExp]> = [
    ['no Authorization header', {}, /no API token/],
    ['a header that is not a bearer token', { authorization: 'Basic YWRtaW46YWRtaW4=' }, /not `Bearer fer_/],
    ['a malformed token', { authorization: 'Bearer fer_short' }, /not `Bearer fer_/],
    ['an unknown token', { authorization: `Bearer fer_${'A'.repeat(43)}` }, /unknown API token/],
  ];
  for (const [what, headers, message] of refusals) {
    it(`is refused (${what}): 401, UNAUTHENTICATED, even for __typename and introspection`, async () => {
      for (const query of [
        '{ __typename }',
        '{ __schema { queryType { name } } }',
        '{ tapes { totalCount } }',
        'mutation { registerTape(barcode: "AUT001L9") { barcode } }',
      ]) {
        const a = await post(query, headers);
        assert.equal(a.status, 401, `${query}: ${JSON.stringify(a.body)}`);
        assert.equal(codeOf(a), 'UNAUTHENTICATED');
        assert.match(a.body.errors![0].message, message);
        assert.equal(a.body.data ?? null, null);
      }
    });
  }

  it('changes nothing', async () => {
    const tapes = await post('{ tape(barcode: "AUT001L9") { barcode } }', as('VIEWER'));
    assert.equal(tapes.body.data?.tape ?? null, null, JSON.stringify(tapes.body));
  });

  it('a revoked or expired token, or a disabled operator, is refused from the next request on', async () => {
    await post('mutation { createOperator(input: { name: "short-lived", role: OPERATOR }) { name } }', as('ADMIN'));
    const mint = async () =>
      (
        await post(
          'mutation { createApiToken(input: { operator: "short-lived", name: "t", expiresInDays: 1 }) { token apiToken { id expiresAt } } }',
          as('ADMIN'),
        )
      ).body.data!.createApiToken as { token: string; apiToken: { id: string; expiresAt: string } };

    const revoked = await mint();
    assert.equal(codeOf(await post('{ me { name } }', bearer(revoked.token))), undefined);
    const r = await post(`mutation { revokeApiToken(id: "${revoked.apiToken.id}") { revokedAt } }`, bearer(revoked.token));
    assert.ok((r.body.data?.revokeApiToken as { revokedAt: string }).revokedAt, 'an operator revokes its own token');
    const after1 = await post('{ me { name } }', bearer(revoked.token));
    assert.equal(codeOf(after1), 'UNAUTHENTICATED');
    assert.match(after1.body.errors![0].message, /was revoked/);

    const expired = await mint();
    assert.ok(Date.parse(expired.apiToken.expiresAt) > Date.now() + 23 * 3600_000);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(`UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired.apiToken.id]);
    await c.end();
    const after2 = await post('{ me { name } }', bearer(expired.token));
    assert.equal(codeOf(after2), 'UNAUTHENTICATED');
    assert.match(after2.body.errors![0].message, /expired at/);

    const disabled = await mint();
    await post('mutation { disableOperator(name: "short-lived") { disabledAt } }', as('ADMIN'));
    const after3 = await post('{ me { name } }', bearer(disabled.token));
    assert.equal(codeOf(after3), 'UNAUTHENTICATED');
    assert.match(after3.body.errors![0].message, /operator short-lived is disabled/);
  });
});

describe('roles', () => {
  let schema: GraphQLSchema;
  before(async () => {
    const a = await post(getIntrospectionQuery(), as('VIEWER'));
    schema = buildClientSchema(a.body.data as unknown as IntrospectionQuery);
  });

  it('every query and mutation of the schema is refused below its role and allowed at and above it', async () => {
    const operations = schemaOperations(schema);
    // Admin last: its calls (with placeholder arguments) must not disturb the lower roles' turns.
    for (const role of ROLES) {
      for (const { op, document, needed } of operations) {
        const a = await post(document, as(role));
        const code = codeOf(a);
        if (roleBelow(role, needed)) {
          assert.equal(code, 'FORBIDDEN', `${op} as ${role} (needs ${needed}): ${JSON.stringify(a.body)}`);
          assert.match(a.body.errors![0].message, new RegExp(`needs role ${needed}; operator matrix-\\w+ has ${role}`));
        } else {
          assert.ok(code !== 'FORBIDDEN' && code !== 'UNAUTHENTICATED', `${op} as ${role}: ${JSON.stringify(a.body)}`);
        }
      }
    }
    const checked = operations.map((o) => o.op);
    assert.ok(checked.length > 50, `${checked.length} operations`);
    for (const op of PRIVILEGED_OPERATIONS) assert.ok(checked.includes(op), `${op} is in the schema`);
  });

  it('formatTape with force needs ADMIN', async () => {
    const forced = await post('mutation { formatTape(barcode: "AUT009L9", force: true) { id } }', as('OPERATOR'));
    assert.equal(codeOf(forced), 'FORBIDDEN');
    assert.match(forced.body.errors![0].message, /with force .* needs role ADMIN/);
    const plain = await post('mutation { formatTape(barcode: "AUT009L9") { id } }', as('OPERATOR'));
    assert.notEqual(codeOf(plain), 'FORBIDDEN', JSON.stringify(plain.body));
  });

  it("only an admin revokes another operator's token; the last admin cannot be disabled or demoted", async () => {
    const list = await post('{ apiTokens(operator: "matrix-operator") { id } }', as('ADMIN'));
    const id = (list.body.data!.apiTokens as { id: string }[])[0].id;
    const a = await post(`mutation { revokeApiToken(id: "${id}") { id } }`, as('VIEWER'));
    assert.equal(codeOf(a), 'FORBIDDEN');
    assert.equal(codeOf(await post('{ me { name } }', as('OPERATOR'))), undefined, 'the token still works');
    // The walk above may have made an admin with placeholder arguments: only "admin" stays one.
    const ops = (await post('{ operators { name role disabledAt } }', as('ADMIN'))).body.data!.operators as { name: string; role: string }[];
    for (const o of ops.filter((x) => x.role === 'ADMIN' && x.name !== 'admin'))
      assert.equal(codeOf(await post(`mutation { disableOperator(name: "${o.name}") { name } }`, as('ADMIN'))), undefined);
    for (const m of ['disableOperator(name: "admin") { name }', 'setOperatorRole(name: "admin", role: OPERATOR) { name }']) {
      const refused = await post(`mutation { ${m} }`, as('ADMIN'));
      assert.equal(codeOf(refused), 'LAST_ADMIN', JSON.stringify(refused.body));
    }
    assert.deepEqual((await post('{ me { role } }', as('ADMIN'))).body.data?.me, { role: 'ADMIN' });
  });

  it('every HTTP route declares a role or is public by name; only the GraphQL IDE’s files and the health probes are public', () => {
    const routes = httpRoutes(server.app);
    assert.ok(
      routes.some((r) => r.route === 'GET /jobs/:id/log.jsonl' && r.role === 'VIEWER'),
      JSON.stringify(routes),
    );
    for (const r of routes) assert.ok(Boolean(r.role) !== Boolean(r.public), `${r.route} must declare exactly one of @RequireRole and @PublicRoute`);
    assert.deepEqual(
      routes.filter((r) => r.public).map((r) => r.route),
      ['GET /graphql', 'GET /graphql-ide/:file', 'GET /healthz', 'GET /readyz'].sort(),
    );
  });

  it('the job log route needs a token too, and answers JSON with a code', async () => {
    const url = server.graphqlUrl.replace('/graphql', '/jobs/00000000-0000-4000-8000-000000000000/log.jsonl');
    const none = await fetch(url);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { code: string }).code, 'UNAUTHENTICATED');
    const viewer = await fetch(url, { headers: as('VIEWER') });
    assert.equal(viewer.status, 404);
    assert.equal(((await viewer.json()) as { code: string }).code, 'JOB_NOT_FOUND');
  });
});

describe('subscriptions over WebSocket', () => {
  const subscribeOnce = (connectionParams: Record<string, unknown>, headers?: Record<string, string>) =>
    wsOperation(server.graphqlUrl, { query: 'subscription { operatorRequestUpdated { id } }', connectionParams, headers });

  it('needs a token in the connection parameters', async () => {
    const r = await subscribeOnce({});
    const errors = r.errors!;
    assert.ok(Array.isArray(errors), JSON.stringify(r));
    assert.equal(errors[0].extensions?.code, 'UNAUTHENTICATED');
  });

  it('is accepted with a viewer token', async () => {
    assert.deepEqual(await subscribeOnce(bearer(tokens.VIEWER)), {});
  });

  it('carries subscriptions only: a query over the socket is refused', async () => {
    const r = await wsOperation(server.graphqlUrl, { query: '{ tapes { totalCount } }', connectionParams: bearer(tokens.VIEWER) });
    const errors = r.errors!;
    assert.ok(Array.isArray(errors), JSON.stringify(r));
    assert.equal(errors[0].extensions?.code, 'BAD_REQUEST');
    assert.match(errors[0].message, /WebSocket carries subscriptions only/);
  });

  it('refuses a browser page of a foreign Origin (4403), but not the server’s own', async () => {
    const foreign = await subscribeOnce(bearer(tokens.VIEWER), { origin: 'http://evil.example' });
    assert.equal(foreign.closed, 4403, JSON.stringify(foreign));
    const own = new URL(server.graphqlUrl);
    assert.deepEqual(await subscribeOnce(bearer(tokens.VIEWER), { origin: `${own.protocol}//${own.host}` }), {});
  });
});

describe('request limits', () => {
  it('refuses a depth-50 query, 4,000 aliases and a cost bomb with a code, quickly', async () => {
    for (const [what, query, message] of QUERY_BOMBS) {
      const started = Date.now();
      const a = await post(query, as('ADMIN'));
      assert.ok(Date.now() - started < 2000, `${what} answered in ${Date.now() - started} ms`);
      assert.equal(a.body.data ?? null, null, what);
      assert.ok(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED'].includes(codeOf(a) ?? ''), `${what}: ${JSON.stringify(a.body).slice(0, 300)}`);
      assert.match(a.body.errors![0].message, message);
      assertNoServerDetails(JSON.stringify(a.body));
    }
  });

  it('answers a body over the limit, or not JSON, with a GraphQL error and a code (never an HTML page)', async () => {
    for (const [, body, status, code] of BAD_BODIES) {
      const a = await postGraphql(server.graphqlUrl, '', { headers: as('ADMIN'), rawBody: body });
      assert.equal(a.status, status);
      assert.match(a.contentType, /application\/json/);
      assertNoServerDetails(a.text);
      assert.equal(codeOf(a), code);
    }
  });

  it('an unknown route is JSON too', async () => {
    const res = await fetch(server.graphqlUrl.replace('/graphql', '/nope'));
    assert.equal(res.status, 404);
    const text = await res.text();
    assertNoServerDetails(text);
    assert.equal((JSON.parse(text) as { code: string }).code, 'NOT_FOUND');
  });
});

describe('the audit log', () => {
  type Event = { operator: string | null; operation: string; arguments: string | null; result: string; message: string | null; address: string | null };
  const events = async (filter: string): Promise<Event[]> => {
    const a = await post(
      `{ auditLog(first: 500${filter}) { totalCount edges { node { operator operation arguments result message address } } } }`,
      as('ADMIN'),
    );
    assert.ok(a.body.data?.auditLog, JSON.stringify(a.body));
    return (a.body.data.auditLog as { edges: { node: Event }[] }).edges.map((e) => e.node);
  };

  it('has each mutation: who, what, the arguments, the result', async () => {
    const created = await events(', operation: "Mutation.createOperator", operator: "admin"');
    const viewer = created.find((e) => e.arguments?.includes('matrix-viewer'));
    assert.ok(viewer, JSON.stringify(created));
    assert.equal(viewer.result, 'OK');
    assert.deepEqual(JSON.parse(viewer.arguments!), { input: { name: 'matrix-viewer', role: 'VIEWER' } });
    assert.match(viewer.address ?? '', /127\.0\.0\.1/);
    const refusedLast = await events(', operation: "Mutation.disableOperator", result: "LAST_ADMIN"');
    assert.ok(refusedLast.length >= 1, 'a mutation that failed is there with its code');
  });

  it('has the refusals: a role too low, and no valid token', async () => {
    const forbidden = await events(', result: "FORBIDDEN", operator: "matrix-viewer"');
    assert.ok(
      forbidden.some((e) => e.operation === 'Mutation.startBackup'),
      JSON.stringify(forbidden.slice(0, 3)),
    );
    assert.ok(
      forbidden.some((e) => e.operation === 'Query.operators'),
      'refused queries too',
    );
    const anonymous = await events(', operation: "authenticate"');
    assert.ok(anonymous.some((e) => e.operator === null && e.result === 'UNAUTHENTICATED' && /was revoked/.test(e.message ?? '')));
  });

  it('never holds a token secret', async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const all = JSON.stringify((await c.query('SELECT * FROM audit_event')).rows);
      assert.ok(all.includes('createApiToken'));
      for (const t of Object.values(tokens)) assert.ok(!all.includes(t.slice(4)), 'no token secret in the audit log');
    } finally {
      await c.end();
    }
  });

  it('exports as JSON lines, oldest first, to an admin only', async () => {
    const url = server.graphqlUrl.replace('/graphql', '/audit.jsonl');
    const res = await fetch(url, { headers: as('ADMIN') });
    assert.equal(res.status, 200);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Event & { id: string });
    assert.ok(lines.length > 50);
    const ids = lines.map((l) => BigInt(l.id));
    assert.deepEqual(
      [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      ids,
      'oldest first',
    );
    const refused = await fetch(url, { headers: as('OPERATOR') });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { code: string }).code, 'FORBIDDEN');
    const bad = await fetch(`${url}?since=yesterday`, { headers: as('ADMIN') });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { code: string }).code, 'INVALID_ARGUMENT');
  });
});

// Last: it locks this test's address out for a minute.
describe('too many failed authentications', () => {
  it('lock the client address out for the rest of the minute (429, RATE_LIMITED), even with a valid token', async () => {
    let refusedAfter = 0;
    for (let i = 1; i <= AUTH_FAILURES_PER_MINUTE + 1; i++) {
      const a = await post('{ __typename }', { authorization: `Bearer fer_${'B'.repeat(43)}` });
      if (codeOf(a) === 'RATE_LIMITED') {
        refusedAfter = i;
        assert.equal(a.status, 429);
        assert.match(a.body.errors![0].message, /too many failed authentications from .*: try again in \d+ s/);
        break;
      }
      assert.equal(codeOf(a), 'UNAUTHENTICATED');
    }
    assert.ok(refusedAfter > 1 && refusedAfter <= AUTH_FAILURES_PER_MINUTE + 1, `refused after ${refusedAfter} attempts`);
    const valid = await post('{ me { name } }', as('ADMIN'));
    assert.equal(codeOf(valid), 'RATE_LIMITED', JSON.stringify(valid.body));
  });
});
