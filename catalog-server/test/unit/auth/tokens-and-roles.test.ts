import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { bearerToken, hashApiToken, newApiToken } from '../../../src/modules/auth/api-tokens.js';
import { neededRole, Role, roleIncludes } from '../../../src/modules/auth/roles.js';
import { originAllowed } from '../../../src/graphql/graphql-auth.js';
import { FailedAuthLimiter } from '../../../src/modules/auth/failed-auth-limiter.js';
import { redactArguments } from '../../../src/modules/auth/audit-redaction.js';
import type { IncomingMessage } from 'node:http';

describe('API tokens', () => {
  it('are fer_ and 256 random bits in base64url, never the same twice', () => {
    const a = newApiToken();
    const b = newApiToken();
    assert.match(a, /^fer_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
    assert.equal(Buffer.from(a.slice(4), 'base64url').length, 32);
  });

  it('are stored as their SHA-256', () => {
    const t = newApiToken();
    assert.deepEqual(hashApiToken(t), createHash('sha256').update(t).digest());
  });

  it('are read only from a well-formed bearer header', () => {
    const t = newApiToken();
    assert.equal(bearerToken(`Bearer ${t}`), t);
    assert.equal(bearerToken(`bearer   ${t}  `), t);
    for (const bad of [undefined, '', t, `Basic ${t}`, `Bearer ${t}x`, `Bearer ${t} extra`, 'Bearer fer_', `Bearer ${t.slice(4)}`])
      assert.equal(bearerToken(bad), null, String(bad));
  });
});

describe('roles', () => {
  it('each role includes the ones before it', () => {
    assert.ok(roleIncludes(Role.ADMIN, Role.VIEWER));
    assert.ok(roleIncludes(Role.ADMIN, Role.OPERATOR));
    assert.ok(roleIncludes(Role.OPERATOR, Role.OPERATOR));
    assert.ok(!roleIncludes(Role.OPERATOR, Role.ADMIN));
    assert.ok(!roleIncludes(Role.VIEWER, Role.OPERATOR));
  });

  it('an operation escalates to a stronger role only for the arguments that call for it', () => {
    const formatTape = { role: Role.OPERATOR, escalate: { role: Role.ADMIN, when: (a: Record<string, unknown>) => a.force === true, why: 'with force' } };
    assert.deepEqual(neededRole(formatTape, { force: false }), { role: Role.OPERATOR });
    assert.deepEqual(neededRole(formatTape, {}), { role: Role.OPERATOR });
    assert.deepEqual(neededRole(formatTape, { force: true }), { role: Role.ADMIN, why: 'with force' });
  });
});

describe('WebSocket origins', () => {
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
  it('allows clients that are not browsers, the server’s own pages and the origins the site lists', () => {
    assert.ok(originAllowed(req({ host: 'ferrite:4000' }), []));
    assert.ok(originAllowed(req({ host: 'ferrite:4000', origin: 'http://ferrite:4000' }), []));
    assert.ok(originAllowed(req({ host: 'ferrite:4000', origin: 'https://console.example' }), ['https://console.example']));
  });

  it('refuses every other origin, and garbage', () => {
    assert.ok(!originAllowed(req({ host: 'ferrite:4000', origin: 'http://evil.example' }), []));
    assert.ok(!originAllowed(req({ host: 'ferrite:4000', origin: 'http://ferrite:4001' }), []));
    assert.ok(!originAllowed(req({ host: 'ferrite:4000', origin: 'null' }), []));
  });
});

describe('FailedAuthLimiter', () => {
  it('refuses an address after N failures in the window, until the oldest of them leaves it', () => {
    const limiter = new FailedAuthLimiter(3, 60_000);
    for (const t of [0, 10, 20]) {
      assert.equal(limiter.retryAfterMs('10.0.0.1', t), 0);
      limiter.recordFailure('10.0.0.1', t);
    }
    assert.equal(limiter.retryAfterMs('10.0.0.1', 30), 59_970);
    assert.equal(limiter.retryAfterMs('10.0.0.2', 30), 0, 'other addresses are not affected');
    assert.equal(limiter.retryAfterMs('10.0.0.1', 59_999), 1);
    assert.equal(limiter.retryAfterMs('10.0.0.1', 60_000), 0, 'the first failure left the window');
  });

  it('forgets the oldest addresses past its limit', () => {
    const limiter = new FailedAuthLimiter(1, 60_000, 2);
    for (const a of ['a', 'b', 'c']) limiter.recordFailure(a, 0);
    assert.equal(limiter.retryAfterMs('a', 1), 0);
    assert.ok(limiter.retryAfterMs('c', 1) > 0);
  });
});

describe('redactArguments (what the audit log keeps of a mutation)', () => {
  it('keeps what was asked and removes secrets at any depth', () => {
    assert.deepEqual(
      redactArguments({ input: { operator: 'bob', name: 'laptop', token: 'fer_x', nested: [{ passphrase: 'p', keep: 1 }] }, apiKey: 'k', force: true }),
      {
        input: { operator: 'bob', name: 'laptop', token: '(redacted)', nested: [{ passphrase: '(redacted)', keep: 1 }] },
        apiKey: '(redacted)',
        force: true,
      },
    );
  });

  it('cuts long strings and lists, and bounds the whole', () => {
    const r = redactArguments({ path: 'x'.repeat(5000), paths: Array.from({ length: 150 }, (_, i) => `/p${i}`) });
    assert.match(r.path as string, /^x{1000}\.\.\. \(5000 characters\)$/);
    assert.equal((r.paths as string[]).length, 101);
    assert.equal((r.paths as string[])[100], '... and 50 more');
    const huge = redactArguments({ a: Array.from({ length: 100 }, () => 'y'.repeat(900)) });
    assert.match(huge.truncated as string, /characters of arguments, over the 16384/);
  });
});
