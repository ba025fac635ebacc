import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, isTrustedUrl, loadServerConfig } from '../../../src/config/config.js';
import { FerriteError } from '../../../src/common/errors.js';
import { bearerCredential, isApiTokenLike, newApiToken } from '../../../src/modules/auth/api-tokens.js';
import { claimValues, isOidcOperator, oidcIdentity, oidcMapping } from '../../../src/modules/auth/oidc-claims.js';
import { Role } from '../../../src/modules/auth/roles.js';

const OIDC_ENV = {
  FERRITE_OIDC_ISSUER: 'https://sso.example.org/realms/site',
  FERRITE_OIDC_AUDIENCE: 'ferrite',
  FERRITE_OIDC_ADMIN_VALUES: 'tape-admins',
  FERRITE_OIDC_OPERATOR_VALUES: 'tape-ops, night-shift',
  FERRITE_OIDC_VIEWER_VALUES: 'staff,tape-ops',
};
const mapping = oidcMapping(loadServerConfig(OIDC_ENV));

function refusal(fn: () => unknown): FerriteError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FerriteError, String(err));
    return err;
  }
  assert.fail('expected a refusal');
}

describe('OIDC configuration', () => {
  it('is off by default, with the documented defaults', () => {
    const c = loadServerConfig({});
    assert.equal(c.oidcIssuer, undefined);
    assert.equal(c.oidcRoleClaim, 'groups');
    assert.equal(c.oidcUsernameClaim, 'preferred_username');
    assert.equal(c.oidcJwksCooldownSeconds, 30);
    assert.deepEqual(c.oidcOperatorValues, []);
  });

  it('reads comma lists and names the variable of each mistake', () => {
    assert.deepEqual(loadServerConfig(OIDC_ENV).oidcOperatorValues, ['tape-ops', 'night-shift']);
    for (const [env, message] of [
      [{ ...OIDC_ENV, FERRITE_OIDC_AUDIENCE: '' }, /FERRITE_OIDC_AUDIENCE: required when FERRITE_OIDC_ISSUER is set/],
      [{ ...OIDC_ENV, FERRITE_OIDC_ISSUER: 'http://sso.example.org' }, /FERRITE_OIDC_ISSUER: an issuer is https:\/\//],
      [
        { FERRITE_OIDC_ISSUER: 'https://sso.example.org', FERRITE_OIDC_AUDIENCE: 'ferrite' },
        /FERRITE_OIDC_VIEWER_VALUES: list the claim values of at least one role/,
      ],
    ] as const)
      assert.throws(
        () => loadServerConfig(env),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
      );
  });

  it('trusts https, and http only to this machine', () => {
    for (const ok of ['https://sso.example.org', 'http://127.0.0.1:8080/realms/x', 'http://localhost', 'http://[::1]:9000']) assert.ok(isTrustedUrl(ok), ok);
    for (const bad of ['http://sso.example.org', 'http://127.0.0.1.example.org', 'ftp://localhost', 'not a url']) assert.ok(!isTrustedUrl(bad), bad);
  });
});

describe('OIDC claims', () => {
  it('name the operator oidc:<preferred_username>, else oidc:<sub>', () => {
    assert.equal(oidcIdentity({ sub: 'f81d4fae', preferred_username: 'ada', groups: ['staff'] }, mapping).operator, 'oidc:ada');
    assert.equal(oidcIdentity({ sub: 'f81d4fae', groups: ['staff'] }, mapping).operator, 'oidc:f81d4fae');
    assert.equal(refusal(() => oidcIdentity({ groups: ['staff'] }, mapping)).code, 'UNAUTHENTICATED');
    assert.equal(refusal(() => oidcIdentity({ preferred_username: 'a b', groups: ['staff'] }, mapping)).code, 'UNAUTHENTICATED');
  });

  it('give the highest role any value maps to (a string claim or an array)', () => {
    const role = (groups: unknown) => oidcIdentity({ sub: 's', groups }, mapping).role;
    assert.equal(role('staff'), Role.VIEWER);
    assert.equal(role(['staff', 'night-shift']), Role.OPERATOR);
    assert.equal(role(['tape-admins', 'staff']), Role.ADMIN);
    assert.equal(role(['nobody', 'tape-ops']), Role.OPERATOR, 'a value listed for two roles grants the higher');
  });

  it('refuse a token that maps to no role (FORBIDDEN), naming the operator and the values it had', () => {
    for (const groups of [['contractors'], [], undefined, 42, 'TAPE-ADMINS']) {
      const err = refusal(() => oidcIdentity({ preferred_username: 'eve', groups }, mapping));
      assert.equal(err.code, 'FORBIDDEN', JSON.stringify(groups));
      assert.equal(err.details.operator, 'oidc:eve');
      assert.match(err.message, /oidc:eve .*`groups` claim grants no Ferrite role/);
    }
  });

  it('read a claim by its name, or as a dotted path when no claim has that name', () => {
    const claims = { 'https://example.org/groups': ['a'], realm_access: { roles: ['b', 3, 'c'] }, 'x.y': 'exact' };
    assert.deepEqual(claimValues(claims, 'https://example.org/groups'), ['a']);
    assert.deepEqual(claimValues(claims, 'realm_access.roles'), ['b', 'c']);
    assert.deepEqual(claimValues(claims, 'x.y'), ['exact']);
    assert.deepEqual(claimValues(claims, 'realm_access.nothing.deeper'), []);
  });

  it('are told from API tokens by the fer_ prefix; oidc: names are not local names', () => {
    assert.equal(bearerCredential('Bearer eyJhbGciOi.eyJzdWIi.c2ln'), 'eyJhbGciOi.eyJzdWIi.c2ln');
    assert.equal(bearerCredential('Basic YWRtaW4='), null);
    assert.ok(isApiTokenLike(newApiToken()) && isApiTokenLike('fer_short'));
    assert.ok(!isApiTokenLike('eyJhbGciOi.eyJzdWIi.c2ln'));
    assert.ok(isOidcOperator('oidc:ada@example.org'));
    assert.ok(!isOidcOperator('oidc:') && !isOidcOperator('ada') && !isOidcOperator('oidc:a b'));
  });
});
