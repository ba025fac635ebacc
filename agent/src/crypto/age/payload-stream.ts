// The payload: a 16-byte nonce, then the plaintext in 64 KiB chunks, each sealed with
// ChaCha20-Poly1305 under HKDF(file key, nonce, "payload") and the nonce
// [11-byte big-endian chunk counter][1 if the last chunk else 0]. Only the last chunk may be short;
// it may be full when the plaintext fills its chunks, and empty only when the whole plaintext is.
// Sizes and offsets follow from that alone, so a reader can seek by chunk (see chunkSpan).
import { hkdf, open, sealParts, TAG_SIZE } from './primitives.js';

export const CHUNK_SIZE = 64 * 1024;
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
export const PAYLOAD_NONCE_SIZE = 16;

export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return hkdf(fileKey, nonce, 'payload');
}

function chunkNonce(index: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(index, 5, 6); // the counter's upper 5 bytes stay 0 below 2^48 chunks (16 EiB)
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** A sealed chunk as [ciphertext, tag], to be written one after the other. */
export function sealChunk(key: Buffer, index: number, last: boolean, plaintext: Uint8Array): [Buffer, Buffer] {
  return sealParts(key, chunkNonce(index, last), plaintext);
}

export function openChunk(key: Buffer, index: number, last: boolean, sealed: Uint8Array): Buffer | null {
  return open(key, chunkNonce(index, last), sealed);
}

/** How many chunks a plaintext of this size takes (an empty one still takes one, empty). */
export function chunkCount(plaintextSize: number): number {
  return Math.max(1, Math.ceil(plaintextSize / CHUNK_SIZE));
}

/** Payload bytes (nonce and sealed chunks) for a plaintext of this size. */
export function payloadSize(plaintextSize: number): number {
  return PAYLOAD_NONCE_SIZE + plaintextSize + TAG_SIZE * chunkCount(plaintextSize);
}

/** The plaintext size a payload of this size holds, or null if no plaintext encrypts to it. */
export function plaintextSizeOfPayload(size: number): number | null {
  const sealed = size - PAYLOAD_NONCE_SIZE;
  if (sealed < TAG_SIZE) return null;
  const full = Math.floor(sealed / SEALED_CHUNK_SIZE);
  const rest = sealed % SEALED_CHUNK_SIZE;
  if (rest === 0 && full > 0) return full * CHUNK_SIZE;
  if (rest < TAG_SIZE || (rest === TAG_SIZE && full > 0)) return null;
  return full * CHUNK_SIZE + rest - TAG_SIZE;
}

/** Where the plaintext range [offset, offset + length) lies in the encrypted object.
 *  Plaintext offset k * 64 KiB (chunk k) starts at ciphertext offset
 *  headerSize + 16 + k * (64 KiB + 16); a range is read as the whole chunks that cover it. */
export interface ChunkSpan {
  /** The first chunk to read and decrypt. */
  readonly firstChunk: number;
  /** The number of chunks to read. */
  readonly chunks: number;
  /** Ciphertext offset of the first chunk, from the start of the object (header included). */
  readonly cipherOffset: number;
  /** Ciphertext bytes to read from there. */
  readonly cipherLength: number;
  /** Plaintext bytes to drop from the front of the decrypted chunks to reach `offset`. */
  readonly skip: number;
}

export function chunkSpan(headerSize: number, plaintextSize: number, offset: number, length: number): ChunkSpan {
  if (offset < 0 || length < 0 || offset + length > plaintextSize) {
    throw new RangeError(`range ${offset}+${length} is outside a plaintext of ${plaintextSize} bytes`);
  }
  const firstChunk = Math.floor(offset / CHUNK_SIZE);
  const endChunk = length === 0 ? firstChunk + 1 : Math.ceil((offset + length) / CHUNK_SIZE);
  const chunks = Math.min(endChunk, chunkCount(plaintextSize)) - firstChunk;
  const start = headerSize + PAYLOAD_NONCE_SIZE + firstChunk * SEALED_CHUNK_SIZE;
  const end = Math.min(headerSize + payloadSize(plaintextSize), start + chunks * SEALED_CHUNK_SIZE);
  return { firstChunk, chunks, cipherOffset: start, cipherLength: end - start, skip: offset - firstChunk * CHUNK_SIZE };
}
