import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  ageHeaderSize,
  CHUNK_SIZE,
  encryptedSize,
  encryptStream,
  formatIdentity,
  generateIdentity,
  payloadSize,
  plaintextSizeOfPayload,
} from '../../../src/crypto/age/index.js';
import { decrypt, encrypt } from '../../support/age-streams.js';

const alice = generateIdentity();
const bob = generateIdentity();
const SEALED = CHUNK_SIZE + 16;

test('round trips of 0, 1, 65535, 65536, 65537, several MiB and random sizes, written in random pieces', async () => {
  const sizes = [0, 1, 65535, 65536, 65537, 2 * CHUNK_SIZE, 3 * 1024 * 1024 + 17, randomInt(1, 1_000_000)];
  for (const size of sizes) {
    const plain = randomBytes(size);
    const sealed = await encrypt(plain, [alice.recipient.text, bob.recipient]);
    assert.equal(sealed.length, encryptedSize(size, [alice.recipient.text, bob.recipient.text]), `size of ${size}`);
    assert.equal(plaintextSizeOfPayload(sealed.length - ageHeaderSize([alice.recipient, bob.recipient])), size);
    for (const who of [alice, formatIdentity(bob)]) {
      const { output, error } = await decrypt(sealed, [who], randomInt(1, 300_000));
      assert.equal(error, undefined);
      assert.ok(output.equals(plain), `plaintext of ${size}`);
    }
  }
});

test('payload sizes: 16 bytes of tag per 64 KiB chunk, one empty chunk for an empty plaintext, invalid sizes refused', () => {
  assert.deepEqual([0, 1, CHUNK_SIZE, CHUNK_SIZE + 1].map(payloadSize), [32, 33, 16 + SEALED, 16 + SEALED + 17]);
  assert.deepEqual([31, 32, 33, 16 + SEALED, 16 + SEALED + 16, 16 + SEALED + 17].map(plaintextSizeOfPayload), [null, 0, 1, CHUNK_SIZE, null, CHUNK_SIZE + 1]);
  assert.equal(ageHeaderSize([alice.recipient]), 168);
  assert.equal(ageHeaderSize([alice.recipient, bob.recipient]), 266);
});

test('a passphrase round trip (scrypt); the wrong passphrase and an identity are refused with KEY_INVALID before any output', async () => {
  const plain = randomBytes(100_000);
  const sealed = await encrypt(plain, { passphrase: 'correct horse', workFactor: 10 });
  assert.equal(sealed.length, encryptedSize(plain.length, { passphrase: 'x', workFactor: 10 }));
  assert.match(sealed.toString('latin1', 0, 60), /^age-encryption\.org\/v1\n-> scrypt \S{22} 10\n/);
  assert.ok((await decrypt(sealed, { passphrase: 'correct horse' })).output.equals(plain));
  for (const keys of [{ passphrase: 'correct horsE' }, [alice]]) {
    const { output, error } = await decrypt(sealed, keys);
    assert.equal((error as any)?.code, 'KEY_INVALID');
    assert.equal(output.length, 0);
  }
});

test('a wrong identity is refused with KEY_INVALID and nothing is emitted; so is a passphrase for a file to recipients', async () => {
  const sealed = await encrypt(randomBytes(5000), [alice.recipient]);
  for (const keys of [[bob], { passphrase: 'x' }]) {
    const { output, error } = await decrypt(sealed, keys);
    assert.equal((error as any)?.code, 'KEY_INVALID', String(error));
    assert.equal(output.length, 0);
  }
});

/** Encrypts 3 chunks and a bit; returns where the payload chunks start. */
async function threeChunks() {
  const plain = randomBytes(3 * CHUNK_SIZE + 100);
  const sealed = await encrypt(plain, [alice.recipient]);
  const payload = ageHeaderSize([alice.recipient]) + 16;
  const chunk = (i: number) => sealed.subarray(payload + i * SEALED, payload + (i + 1) * SEALED);
  return { plain, sealed, payload, chunk };
}

async function expectInvalid(bytes: Buffer, chunk: number | undefined, message: RegExp, emitted: number) {
  const { output, error } = await decrypt(bytes, [alice]);
  assert.equal((error as any)?.code, 'CIPHERTEXT_INVALID', String(error));
  assert.equal((error as any).chunk, chunk);
  assert.match(error!.message, message);
  assert.equal(output.length, emitted, 'only chunks authenticated before the failure come out');
}

test('a flipped byte in a chunk fails that chunk; only the chunks before it came out', async () => {
  const { sealed, payload, plain } = await threeChunks();
  for (const [at, chunk] of [
    [payload + 5, 0],
    [payload + SEALED + 100, 1],
    [payload + 2 * SEALED + SEALED - 1, 2], // a tag byte
    [sealed.length - 1, 3],
  ] as const) {
    const bad = Buffer.from(sealed);
    bad[at] ^= 0x01;
    await expectInvalid(bad, chunk, new RegExp(`does not authenticate.*\\(chunk ${chunk}\\)`), chunk * CHUNK_SIZE);
    const { output } = await decrypt(bad, [alice]);
    assert.ok(output.equals(plain.subarray(0, chunk * CHUNK_SIZE)));
  }
});

test('truncation, a wrong final flag, reordered chunks and data after the end are each refused', async () => {
  const { sealed, payload, chunk } = await threeChunks();
  const head = sealed.subarray(0, payload);
  // Cut at a chunk boundary: the last chunk left was sealed as a middle chunk.
  await expectInvalid(sealed.subarray(0, payload + 2 * SEALED), 1, /without its final chunk/, CHUNK_SIZE);
  // Cut inside a chunk.
  await expectInvalid(sealed.subarray(0, payload + SEALED + 500), 1, /final chunk does not authenticate/, CHUNK_SIZE);
  // Nothing after the nonce at all, and a cut inside the header.
  await expectInvalid(head, 0, /without its final chunk/, 0);
  await expectInvalid(sealed.subarray(0, 100), undefined, /ends inside its header/, 0);
  // Chunks 1 and 2 swapped.
  await expectInvalid(Buffer.concat([head, chunk(0), chunk(2), chunk(1), chunk(3)]), 1, /does not authenticate/, CHUNK_SIZE);
  // Bytes appended after the final chunk.
  await expectInvalid(Buffer.concat([sealed, Buffer.alloc(1)]), 3, /final chunk does not authenticate/, 3 * CHUNK_SIZE);
  // A whole extra chunk after the final one: the final one is then read as a middle chunk.
  const full = await encrypt(randomBytes(2 * CHUNK_SIZE), [alice.recipient]);
  await expectInvalid(Buffer.concat([full, full.subarray(full.length - SEALED)]), 1, /data follows the final chunk/, CHUNK_SIZE);
});

test('an altered header is refused: MAC, an added stanza, a changed share, garbage, a non-canonical body', async () => {
  const { sealed, payload } = await threeChunks();
  const text = sealed.toString('latin1', 0, payload - 16);
  const withHeader = (h: string) => Buffer.concat([Buffer.from(h, 'latin1'), sealed.subarray(payload - 16)]);
  const mac = text.lastIndexOf('--- ') + 4;
  await expectInvalid(withHeader(text.slice(0, mac) + (text[mac] === 'A' ? 'B' : 'A') + text.slice(mac + 1)), undefined, /MAC does not match/, 0);
  await expectInvalid(withHeader(text.replace('\n---', '\n-> other-type arg\nAAAA\n---')), undefined, /MAC does not match/, 0);
  await expectInvalid(withHeader(text.replace('age-encryption.org/v1', 'age-encryption.org/v2')), undefined, /not an age-encryption.org\/v1 file/, 0);
  await expectInvalid(Buffer.from('hello world, this is no age file\n'), undefined, /not an age/, 0);
  // "AB" decodes to one byte with trailing bits set: not canonical.
  await expectInvalid(withHeader(text.replace('\n---', '\n-> other\nAB\n---')), undefined, /not canonical base64/, 0);
  const share = text.indexOf('X25519 ') + 7;
  const { error } = await decrypt(withHeader(text.slice(0, share) + (text[share] === 'A' ? 'B' : 'A') + text.slice(share + 1)), [alice]);
  assert.ok(['KEY_INVALID', 'CIPHERTEXT_INVALID'].includes((error as any)?.code), String(error));
});

test('backpressure: a writer that nobody reads is told to wait, so memory stays bounded', async () => {
  const enc = encryptStream([alice.recipient]);
  await new Promise((r) => setImmediate(r)); // the header is made in _construct
  let accepted = 0;
  while (enc.write(Buffer.alloc(CHUNK_SIZE)) && accepted < 10_000) accepted++;
  assert.ok(accepted < 8, `the stream took ${accepted} chunks without a reader`);
  assert.ok(enc.readableLength + enc.writableLength < 1024 * 1024);
  let read = 0;
  enc.pipe(new Writable({ write: (b: Buffer, _e, cb) => ((read += b.length), cb()) }));
  enc.end();
  await new Promise((r) => enc.on('end', r));
  assert.equal(read, encryptedSize((accepted + 1) * CHUNK_SIZE, [alice.recipient]));
});
