// Test helpers for the age module: run whole buffers through encryptStream/decryptStream, written
// in pieces of random sizes so chunk boundaries fall anywhere.
import { randomInt } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Transform } from 'node:stream';
import { decryptStream, encryptStream, type DecryptWith, type EncryptTo } from '../../src/crypto/age/index.js';

function pieces(data: Buffer, maxPiece: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length;) {
    const n = Math.min(data.length - at, randomInt(1, maxPiece + 1));
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** Pipes `input` through `transform` and collects what comes out, up to a failure if any. */
export async function through(transform: Transform, input: Buffer, maxPiece = 200_000): Promise<{ output: Buffer; error?: Error }> {
  const out: Buffer[] = [];
  transform.on('data', (b: Buffer) => out.push(b));
  try {
    await pipeline(Readable.from(pieces(input, maxPiece)), transform);
    return { output: Buffer.concat(out) };
  } catch (error) {
    return { output: Buffer.concat(out), error: error as Error };
  }
}

export async function encrypt(plaintext: Buffer, to: EncryptTo, maxPiece?: number): Promise<Buffer> {
  const { output, error } = await through(encryptStream(to), plaintext, maxPiece);
  if (error) throw error;
  return output;
}

export async function decrypt(ciphertext: Buffer, keys: DecryptWith, maxPiece?: number): Promise<{ output: Buffer; error?: Error }> {
  return through(decryptStream(keys), ciphertext, maxPiece);
}
