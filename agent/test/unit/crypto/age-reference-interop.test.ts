// Interoperability with the reference JavaScript implementation (the npm `age-encryption`
// package), both ways, for X25519 recipients and a passphrase.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Decrypter, Encrypter, generateIdentity as referenceIdentity, identityToRecipient } from 'age-encryption';
import { CHUNK_SIZE, formatIdentity, generateIdentity } from '../../../src/crypto/age/index.js';
import { decrypt, encrypt } from '../../support/age-streams.js';

const SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE, 1024 * 1024 + 5];

test('files Ferrite encrypts to recipients open with the reference implementation', async () => {
  const ours = generateIdentity();
  const other = generateIdentity();
  for (const size of SIZES) {
    const plain = randomBytes(size);
    const sealed = await encrypt(plain, [other.recipient, ours.recipient]);
    const d = new Decrypter();
    d.addIdentity(formatIdentity(ours));
    assert.ok(Buffer.from(await d.decrypt(sealed)).equals(plain), `size ${size}`);
  }
});

test('files the reference implementation encrypts to recipients open with Ferrite', async () => {
  const theirs = await referenceIdentity();
  for (const size of SIZES) {
    const plain = randomBytes(size);
    const e = new Encrypter();
    e.addRecipient(await identityToRecipient(theirs));
    e.addRecipient(generateIdentity().recipient.text);
    const { output, error } = await decrypt(Buffer.from(await e.encrypt(plain)), [theirs]);
    assert.equal(error, undefined);
    assert.ok(output.equals(plain), `size ${size}`);
  }
});

test('passphrase (scrypt) files open both ways, and a wrong passphrase is refused both ways', async () => {
  const plain = randomBytes(2 * CHUNK_SIZE + 3);
  const sealed = await encrypt(plain, { passphrase: 'tape vault 7', workFactor: 12 });
  const d = new Decrypter();
  d.addPassphrase('tape vault 7');
  assert.ok(Buffer.from(await d.decrypt(sealed)).equals(plain));
  const wrong = new Decrypter();
  wrong.addPassphrase('tape vault 8');
  await assert.rejects(wrong.decrypt(sealed));

  const e = new Encrypter();
  e.setPassphrase('tape vault 7');
  e.setScryptWorkFactor(12);
  const theirs = Buffer.from(await e.encrypt(plain));
  assert.ok((await decrypt(theirs, { passphrase: 'tape vault 7' })).output.equals(plain));
  assert.equal(((await decrypt(theirs, { passphrase: 'tape vault 8' })).error as any)?.code, 'KEY_INVALID');
});
