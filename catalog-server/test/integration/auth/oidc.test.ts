// Sign-in with OpenID Connect, through the real server on a real database, against a real (tiny)
// identity provider in this process (test/support/oidc-issuer.ts): tokens of the issuer's groups
// act with the mapped role as the operator `oidc:<user>`, whom the audit log names; every token the
// issuer did not sign for us, or that expired, is refused UNAUTHENTICATED, and one that maps to no
// role FORBIDDEN; subscriptions take the same tokens; a rotated key is picked up; an issuer that is
// down at start does not stop the server.
import { after, before, describe, it } from 'node:test';
import { testServerConfig } from '../../support/test-server.js';
import assert from 'node:assert/strict';
import { createLogger } from '../../../src/common/logger.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { bearer, firstAdminToken } from '../../support/auth.js';
import { codeOf, postGraphql, type HttpAnswer } from '../../support/graphql-http.js';
import { wsOperation } from '../../support/graphql-ws.js';
import { TestOidcIssuer } from '../../support/oidc-issuer.js';
import { waitFor } from '../../support/stack.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';

let db: TestDatabase;
let server: RunningServer;
let issuer: TestOidcIssuer;
let adminToken: string;

/** The server's environment for an issuer: three roles mapped from `groups`, key set re-fetched at once on an unknown kid. */
function oidcEnv(issuerUrl: string, extra: Record<string, string> = {}) {
  return testServerConfig(db.url, {
    FERRITE_AUTH_FAILURES_PER_MINUTE: '1000',
    FERRITE_OIDC_ISSUER: issuerUrl,
    FERRITE_OIDC_AUDIENCE: 'ferrite',
    FERRITE_OIDC_ADMIN_VALUES: 'ferrite-admins',
    FERRITE_OIDC_OPERATOR_VALUES: 'ferrite-operators',
    FERRITE_OIDC_VIEWER_VALUES: 'ferrite-viewers,staff',
    FERRITE_OIDC_JWKS_COOLDOWN_SECONDS: '0',
    ...extra,
  });
}

const post = (query: string, token: string) => postGraphql(server.graphqlUrl, query, { headers: bearer(token) });
const signIn = (username: string, groups: unknown, claims: Record<string, unknown> = {}) =>
  issuer.token({ claims: { preferred_username: username, groups, ...claims } });

/** A refusal with this code and message (and HTTP status, for the authentication refusals that set one). */
function assertRefused(a: HttpAnswer, status: number | null, code: string, message: RegExp) {
  if (status !== null) assert.equal(a.status, status, JSON.stringify(a.body));
  assert.equal(codeOf(a), code, JSON.stringify(a.body));
  assert.match(a.body.errors![0].message, message);
  assert.equal(a.body.data ?? null, null);
}

type Event = { operator: string | null; operation: string; result: string; message: string | null };
async function auditEvents(filter: string): Promise<Event[]> {
  const a = await post(`{ auditLog(first: 200, ${filter}) { edges { node { operator operation result message } } } }`, adminToken);
  assert.ok(a.body.data?.auditLog, JSON.stringify(a.body));
  return (a.body.data.auditLog as { edges: { node: Event }[] }).edges.map((e) => e.node);
}

before(async () => {
  issuer = await new TestOidcIssuer().start();
  await issuer.addKey('RS256');
  db = await createTestDatabase('auth_oidc');
  server = await startServer(oidcEnv(issuer.issuer), { logger: createLogger('error', process.stderr) });
  adminToken = firstAdminToken(server);
});

after(async () => {
  await server?.stop();
  await issuer?.stop();
  await db?.drop();
});

describe('a token of the identity provider', () => {
  it('of a viewer group queries as oidc:<user>, and may not mutate (FORBIDDEN)', async () => {
    const vera = await signIn('vera', ['staff']);
    const me = await post('{ me { name role } }', vera);
    assert.deepEqual(me.body.data?.me, { name: 'oidc:vera', role: 'VIEWER' }, JSON.stringify(me.body));
    const tapes = await post('{ tapes { totalCount } }', vera);
    assert.equal(tapes.body.data?.tapes.totalCount, 0, JSON.stringify(tapes.body));
    assertRefused(
      await post('mutation { registerTape(barcode: "OID001L9") { barcode } }', vera),
      null,
      'FORBIDDEN',
      /Mutation.registerTape needs role OPERATOR; operator oidc:vera has VIEWER/,
    );
  });

  it('of an admin group runs an admin mutation, and the audit log names oidc:<user>', async () => {
    const ada = await signIn('ada', ['staff', 'ferrite-admins']);
    const created = await post('mutation { createOperator(input: { name: "tape-robot", role: OPERATOR }) { name role } }', ada);
    assert.deepEqual(created.body.data?.createOperator, { name: 'tape-robot', role: 'OPERATOR' }, JSON.stringify(created.body));

    const mutations = await auditEvents('operation: "Mutation.createOperator"');
    assert.deepEqual(
      mutations.map((e) => [e.operator, e.result]),
      [['oidc:ada', 'OK']],
    );
    const signIns = await auditEvents('operation: "authenticate", operator: "oidc:ada"');
    assert.deepEqual(
      signIns.map((e) => [e.result, e.message]),
      [['OK', 'first sign-in through OpenID Connect: created oidc:ada with role ADMIN']],
      'the first sign-in is recorded once, not every request',
    );
    const refused = await auditEvents('operator: "oidc:vera", result: "FORBIDDEN"');
    assert.deepEqual(
      refused.map((e) => e.operation),
      ['Mutation.registerTape'],
    );

    const exported = await fetch(server.graphqlUrl.replace('/graphql', '/audit.jsonl'), { headers: bearer(ada) });
    assert.equal(exported.status, 200, 'the HTTP routes take OIDC tokens too');
    assert.match(await exported.text(), /"operator":"oidc:ada","tokenId":null/);

    const operators = await post('{ operators { name role } }', ada);
    assert.deepEqual(
      (operators.body.data?.operators as { name: string; role: string }[]).filter((o) => o.name.startsWith('oidc:')),
      [
        { name: 'oidc:ada', role: 'ADMIN' },
        { name: 'oidc:vera', role: 'VIEWER' },
      ],
    );
  });

  it('is signed with RS256, ES256 or EdDSA: a key the issuer rotates in is fetched and accepted, the old one still is', async () => {
    const oldKid = 'rs256-1';
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const fetches = issuer.jwksFetches;
      const kid = await issuer.addKey(alg);
      const token = await issuer.token({ kid, claims: { preferred_username: 'rota', groups: ['staff'] } });
      const me = await post('{ me { name } }', token);
      assert.deepEqual(me.body.data?.me, { name: 'oidc:rota' }, `${alg}: ${JSON.stringify(me.body)}`);
      assert.equal(issuer.jwksFetches, fetches + 1, `${alg}: the unknown kid made the server fetch the key set once`);
    }
    const old = await issuer.token({ kid: oldKid, claims: { preferred_username: 'rota', groups: ['staff'] } });
    assert.equal(codeOf(await post('{ me { name } }', old)), undefined);
  });

  it('gives the role of the groups of each sign-in; its role and tokens are not set in Ferrite', async () => {
    const promoted = await signIn('vera', ['ferrite-operators']);
    assert.deepEqual((await post('{ me { role } }', promoted)).body.data?.me, { role: 'OPERATOR' });
    const changes = await auditEvents('operation: "authenticate", operator: "oidc:vera", result: "OK"');
    assert.equal(changes[0]?.message, 'the identity provider changed the role of oidc:vera: VIEWER -> OPERATOR');

    const setRole = await post('mutation { setOperatorRole(name: "oidc:vera", role: ADMIN) { role } }', adminToken);
    assertRefused(setRole, null, 'INVALID_ARGUMENT', /comes from the identity provider/);
    const token = await post('mutation { createApiToken(input: { operator: "oidc:vera", name: "script" }) { token } }', adminToken);
    assertRefused(token, null, 'INVALID_ARGUMENT', /signs in through the identity provider/);
  });

  it('of a disabled operator is refused until an admin enables it again', async () => {
    const vera = await signIn('vera', ['ferrite-operators']);
    assert.ok((await post('mutation { disableOperator(name: "oidc:vera") { disabledAt } }', adminToken)).body.data?.disableOperator.disabledAt);
    assertRefused(await post('{ me { name } }', vera), 401, 'UNAUTHENTICATED', /operator oidc:vera is disabled/);
    assert.ok((await post('mutation { enableOperator(name: "oidc:vera") { name } }', adminToken)).body.data?.enableOperator);
    assert.equal(codeOf(await post('{ me { name } }', vera)), undefined);
  });

  it('an OIDC admin does not count as the admin that must remain (LAST_ADMIN)', async () => {
    const a = await post('mutation { disableOperator(name: "admin") { name } }', adminToken);
    assertRefused(a, null, 'LAST_ADMIN', /last enabled admin/);
  });

  it('that maps to no role is FORBIDDEN, saying so, and recorded; no operator is created', async () => {
    const carl = await signIn('carl', ['contractors']);
    assertRefused(
      await post('{ me { name } }', carl),
      403,
      'FORBIDDEN',
      /oidc:carl signed in, but its token's `groups` claim grants no Ferrite role \(its values \["contractors"\]\)/,
    );
    const events = await auditEvents('operator: "oidc:carl"');
    assert.deepEqual(
      events.map((e) => [e.operation, e.result]),
      [['authenticate', 'FORBIDDEN']],
    );
    const operators = (await post('{ operators { name } }', adminToken)).body.data?.operators as { name: string }[];
    assert.ok(!operators.some((o) => o.name === 'oidc:carl'));
  });
});

describe('a token the issuer did not sign for us', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const claims = { preferred_username: 'mallory', groups: ['ferrite-admins'] };
  const refusals: Array<[string, () => Promise<string> | string, RegExp]> = [
    ['expired', () => issuer.token({ claims: { ...claims, iat: now() - 900, exp: now() - 600 } }), /"exp" claim timestamp check failed/],
    ['not valid yet', () => issuer.token({ claims: { ...claims, nbf: now() + 600 } }), /"nbf" claim timestamp check failed/],
    ['without an expiry', () => issuer.token({ claims: { ...claims, exp: undefined } }), /missing required "exp" claim/],
    ['for another audience', () => issuer.token({ claims: { ...claims, aud: 'another-app' } }), /unexpected "aud" claim value/],
    ['from another issuer', () => issuer.token({ claims: { ...claims, iss: 'https://evil.example' } }), /unexpected "iss" claim value/],
    ['unsigned (alg: none)', () => issuer.unsigned(claims), /"alg" \(Algorithm\) Header Parameter value not allowed/],
    ['HS256 with the public key as secret', () => issuer.hs256WithPublicKey(claims), /"alg" \(Algorithm\) Header Parameter value not allowed/],
    ['signed with a key the issuer never published', () => issuer.unpublishedToken(claims), /no applicable key found in the JSON Web Key Set/],
    [
      'tampered with after signing',
      async () => {
        const [h, , s] = (await issuer.token({ claims: { ...claims, groups: ['staff'] } })).split('.');
        return [h, Buffer.from(JSON.stringify({ iss: issuer.issuer, aud: 'ferrite', exp: now() + 60, ...claims })).toString('base64url'), s].join('.');
      },
      /signature verification failed/,
    ],
    ['not a JWT at all', () => 'not-a-jwt', /Invalid Compact JWS/],
  ];
  for (const [what, mint, message] of refusals) {
    it(`is refused UNAUTHENTICATED (${what})`, async () => {
      const a = await post('{ me { name } }', await mint());
      assertRefused(a, 401, 'UNAUTHENTICATED', message);
      assert.match(a.body.errors![0].message, new RegExp(`is not a valid token of ${issuer.issuer}`));
    });
  }

  it('left mallory out of the operators and in the audit log as a refused authentication', async () => {
    const operators = (await post('{ operators { name } }', adminToken)).body.data?.operators as { name: string }[];
    assert.ok(!operators.some((o) => o.name === 'oidc:mallory'));
    const refused = await auditEvents('operation: "authenticate", result: "UNAUTHENTICATED"');
    assert.ok(refused.some((e) => e.operator === null && /unexpected "aud" claim value/.test(e.message ?? '')));
  });
});

describe('subscriptions over WebSocket', () => {
  const subscribe = (token: string) =>
    wsOperation(server.graphqlUrl, { query: 'subscription { operatorRequestUpdated { id } }', connectionParams: bearer(token) });

  it('take an OIDC token in the connection parameters', async () => {
    assert.deepEqual(await subscribe(await signIn('vera', ['staff'])), {});
  });

  it('refuse an expired one', async () => {
    const expired = await issuer.token({ claims: { preferred_username: 'vera', groups: ['staff'], exp: Math.floor(Date.now() / 1000) - 600 } });
    const r = await subscribe(expired);
    const errors = r.errors;
    assert.ok(Array.isArray(errors), JSON.stringify(r));
    assert.equal(errors[0].extensions?.code, 'UNAUTHENTICATED');
  });
});

describe('an identity provider that is down when the server starts', () => {
  it('does not stop it: OIDC tokens are refused until a retry loads the issuer, API tokens work throughout', async () => {
    const late = await new TestOidcIssuer().start();
    late.up = false;
    await late.addKey('ES256');
    const started = Date.now();
    const second = await startServer(oidcEnv(late.issuer, { FERRITE_AUTH_FAILURES_PER_MINUTE: '5' }), { logger: createLogger('silent') });
    try {
      assert.ok(Date.now() - started < 15_000, 'the start did not wait for the issuer');
      const ask = async (token: string) => postGraphql(second.graphqlUrl, '{ me { name } }', { headers: bearer(token) });
      const token = await late.token({ claims: { preferred_username: 'lena', groups: ['staff'] } });
      assertRefused(await ask(token), 401, 'UNAUTHENTICATED', /is not available yet: the server could not load its discovery document/);
      assert.equal(codeOf(await ask(adminToken)), undefined);

      late.up = true;
      // Asked only once the server has fetched the keys: each refusal counts toward the limit of 5.
      const me = await waitFor(
        'the server to load the issuer',
        async () => late.jwksFetches > 0 && ((await ask(token)).body.data?.me as { name: string } | undefined),
        20_000,
        250,
      );
      assert.deepEqual(me, { name: 'oidc:lena' });

      // Refused OIDC tokens count as failed authentications like any other.
      const expired = await late.token({ claims: { preferred_username: 'lena', groups: ['staff'], exp: Math.floor(Date.now() / 1000) - 600 } });
      const codes: string[] = [];
      for (let i = 0; i < 6; i++) codes.push(codeOf(await ask(expired)) ?? 'OK');
      assert.equal(codes[0], 'UNAUTHENTICATED');
      assert.equal(codes.at(-1), 'RATE_LIMITED', codes.join(' '));
    } finally {
      await second.stop();
      await late.stop();
    }
  });
});
