import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CHUNK_SIZE, chunkSpan, decryptChunkRange, generateIdentity, openAgeHeader, readPlaintextRange } from '../../../src/crypto/age/index.js';
import { encrypt } from '../../support/age-streams.js';

const alice = generateIdentity();

test('chunk-aligned plaintext offsets map to header + 16 + k * (64 KiB + 16); other ranges widen to whole chunks', () => {
  assert.deepEqual(chunkSpan(168, 3 * CHUNK_SIZE + 10, 2 * CHUNK_SIZE, CHUNK_SIZE), {
    firstChunk: 2,
    chunks: 1,
    cipherOffset: 168 + 16 + 2 * (CHUNK_SIZE + 16),
    cipherLength: CHUNK_SIZE + 16,
    skip: 0,
  });
  // From inside chunk 0 to inside the short last chunk 3.
  assert.deepEqual(chunkSpan(168, 3 * CHUNK_SIZE + 10, 5, 3 * CHUNK_SIZE), {
    firstChunk: 0,
    chunks: 4,
    cipherOffset: 184,
    cipherLength: 3 * (CHUNK_SIZE + 16) + 26,
    skip: 5,
  });
  assert.throws(() => chunkSpan(168, 100, 50, 51), RangeError);
});

test('ranges of an encrypted object read back exactly, reading only their chunks', async () => {
  const plain = randomBytes(5 * CHUNK_SIZE + 1234);
  const sealed = await encrypt(plain, [alice.recipient]);
  const file = await openAgeHeader(sealed.subarray(0, 4096), [alice]);
  assert.equal(file.headerSize, 168);
  let bytesRead = 0;
  const read = async (position: number, length: number) => ((bytesRead += length), sealed.subarray(position, position + length));
  for (const [offset, length] of [
    [0, 0],
    [0, plain.length],
    [CHUNK_SIZE, CHUNK_SIZE],
    [CHUNK_SIZE - 1, 2],
    [5 * CHUNK_SIZE, 1234],
    [3 * CHUNK_SIZE + 77, 1000],
  ]) {
    bytesRead = 0;
    const got = await readPlaintextRange(file, plain.length, offset, length, read);
    assert.ok(got.equals(plain.subarray(offset, offset + length)), `${offset}+${length}`);
    const span = chunkSpan(file.headerSize, plain.length, offset, length);
    assert.equal(bytesRead, span.cipherLength);
  }
  bytesRead = 0;
  assert.equal((await readPlaintextRange(file, plain.length, CHUNK_SIZE - 1, 2, read)).length, 2);
  assert.equal(bytesRead, 2 * (CHUNK_SIZE + 16));
});

test('a chunk range is authenticated: a flipped byte, a wrong plaintext size or a chunk at the wrong position fail', async () => {
  const plain = randomBytes(3 * CHUNK_SIZE + 10);
  const sealed = await encrypt(plain, [alice.recipient]);
  const file = await openAgeHeader(sealed, [alice]);
  const span = chunkSpan(file.headerSize, plain.length, 0, plain.length);
  const all = sealed.subarray(span.cipherOffset);
  assert.ok(decryptChunkRange(file, 0, all, plain.length).equals(plain));
  const bad = Buffer.from(all);
  bad[2 * (CHUNK_SIZE + 16) + 3] ^= 0x80;
  assert.throws(() => decryptChunkRange(file, 0, bad, plain.length), { code: 'CIPHERTEXT_INVALID', chunk: 2 });
  // Claiming the object ends after chunk 1 (a truncated object): chunk 1 is not a final chunk.
  assert.throws(() => decryptChunkRange(file, 0, all.subarray(0, 2 * (CHUNK_SIZE + 16)), 2 * CHUNK_SIZE), { code: 'CIPHERTEXT_INVALID', chunk: 1 });
  // Chunk 2's bytes presented as chunk 1.
  const chunk2 = all.subarray(2 * (CHUNK_SIZE + 16), 3 * (CHUNK_SIZE + 16));
  assert.throws(() => decryptChunkRange(file, 1, chunk2, plain.length), { code: 'CIPHERTEXT_INVALID', chunk: 1 });
  // A short read of the last chunk.
  assert.throws(() => decryptChunkRange(file, 3, all.subarray(3 * (CHUNK_SIZE + 16), all.length - 1), plain.length), {
    code: 'CIPHERTEXT_INVALID',
    chunk: 3,
  });
  await assert.rejects(openAgeHeader(sealed.subarray(0, 100), [alice]), { code: 'CIPHERTEXT_INVALID', message: /incomplete/ });
  await assert.rejects(openAgeHeader(sealed, [generateIdentity()]), { code: 'KEY_INVALID' });
});
