import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bech32 } from '@scure/base';
import { identityToRecipient } from 'age-encryption';
import { formatIdentity, generateIdentity, parseIdentity, parseIdentityFile, parseRecipient } from '../../../src/crypto/age/index.js';

test('a generated identity formats and parses back, and its recipient is the one the reference derives', async () => {
  const id = generateIdentity();
  const text = formatIdentity(id);
  assert.match(text, /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
  assert.match(id.recipient.text, /^age1[0-9a-z]{58}$/);
  assert.equal(formatIdentity(parseIdentity(text)), text);
  assert.equal(parseIdentity(text).recipient.text, id.recipient.text);
  assert.equal(await identityToRecipient(text), id.recipient.text);
  assert.equal(parseRecipient(id.recipient.text).bytes.toString('hex'), id.recipient.bytes.toString('hex'));
});

test('an identity file as age-keygen writes it: comments and blank lines skipped', () => {
  const a = formatIdentity(generateIdentity());
  const b = formatIdentity(generateIdentity());
  const ids = parseIdentityFile(`# created: 2026-12-06\n# public key: age1...\n${a}\n\n${b}\r\n`);
  assert.deepEqual(ids.map(formatIdentity), [a, b]);
  assert.throws(() => parseIdentityFile('# only a comment\n'), { code: 'KEY_INVALID', message: /no identity in it/ });
});

test('recipients that do not parse throw INVALID_RECIPIENT naming the problem', () => {
  const good = generateIdentity().recipient.text;
  const flipped = good.slice(0, 10) + (good[10] === 'q' ? 'p' : 'q') + good.slice(11);
  const cases: [string, RegExp][] = [
    ['', /starts with "age1"/],
    ['ssh-ed25519 AAAAC3Nza', /starts with "age1"/],
    [` ${good}`, /whitespace/],
    [flipped, /not valid bech32/],
    [good.slice(0, -1), /not valid bech32/],
    ['age1pq1' + 'q'.repeat(60), /post-quantum/],
    [bech32.encode('age', bech32.toWords(new Uint8Array(20))), /a key of 20 bytes/],
    [bech32.encode('age1x', bech32.toWords(new Uint8Array(32))), /unexpected prefix "age1x"/],
  ];
  for (const [text, why] of cases) {
    assert.throws(
      () => parseRecipient(text),
      (err: any) => err.code === 'INVALID_RECIPIENT' && why.test(err.message) && err.message.includes(`"${text}"`),
      text,
    );
  }
});

test('identities that do not parse throw KEY_INVALID without echoing the key', () => {
  const good = formatIdentity(generateIdentity());
  const bad = good.slice(0, 20) + (good[20] === 'Q' ? 'P' : 'Q') + good.slice(21);
  for (const text of [bad, good.toLowerCase(), 'AGE-SECRET-KEY-PQ-1ABC', generateIdentity().recipient.text]) {
    assert.throws(
      () => parseIdentity(text),
      (err: any) => err.code === 'KEY_INVALID' && !err.message.includes(text),
    );
  }
});
