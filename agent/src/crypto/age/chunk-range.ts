// Random access into an age file: open its header once, then read and decrypt only the chunks a
// plaintext range needs (a member of an encrypted bundle without reading the bundle). Offsets map
// as chunkSpan in payload-stream.ts documents. Every chunk read is authenticated, with the
// last-chunk flag where the object's plaintext size says its final chunk is, so a range cannot be
// served from a truncated or extended object.
import { invalidCiphertext } from './age-errors.js';
import { headerLength, parseHeader } from './age-header.js';
import { openFileKey, resolveDecryptWith, type DecryptWith } from './file-key.js';
import { CHUNK_SIZE, chunkCount, chunkSpan, openChunk, PAYLOAD_NONCE_SIZE, payloadKey, SEALED_CHUNK_SIZE } from './payload-stream.js';

export interface OpenedAgeFile {
  /** Bytes of header before the payload nonce. */
  readonly headerSize: number;
  readonly payloadKey: Buffer;
}

/** Opens an age file from its first bytes (header and the 16-byte nonce; read 4 KiB, or more for
 *  files with many recipients: CIPHERTEXT_INVALID "incomplete" says so). */
export async function openAgeHeader(start: Buffer, keys: DecryptWith): Promise<OpenedAgeFile> {
  const size = headerLength(start);
  if (size === null || start.length < size + PAYLOAD_NONCE_SIZE) throw invalidCiphertext('the header is incomplete: read more of the file');
  const fileKey = await openFileKey(parseHeader(start), resolveDecryptWith(keys));
  return { headerSize: size, payloadKey: payloadKey(fileKey, start.subarray(size, size + PAYLOAD_NONCE_SIZE)) };
}

/** Decrypts the whole chunks held in `ciphertext`, the first being `firstChunk`, of an object whose
 *  plaintext is `plaintextSize` bytes (from the catalog). Returns their plaintext: chunk
 *  `firstChunk` starts at plaintext offset firstChunk * 64 KiB. */
export function decryptChunkRange(file: OpenedAgeFile, firstChunk: number, ciphertext: Buffer, plaintextSize: number): Buffer {
  const lastIndex = chunkCount(plaintextSize) - 1;
  const out: Buffer[] = [];
  let index = firstChunk;
  for (let at = 0; at < ciphertext.length; index++, at += SEALED_CHUNK_SIZE) {
    if (index > lastIndex) throw invalidCiphertext('ciphertext beyond the final chunk', index);
    const sealed = ciphertext.subarray(at, at + SEALED_CHUNK_SIZE);
    const expected = index < lastIndex ? SEALED_CHUNK_SIZE : plaintextSize - lastIndex * CHUNK_SIZE + (SEALED_CHUNK_SIZE - CHUNK_SIZE);
    if (sealed.length !== expected) throw invalidCiphertext(`chunk of ${sealed.length} bytes where ${expected} belong (truncated?)`, index);
    const plaintext = openChunk(file.payloadKey, index, index === lastIndex, sealed);
    if (!plaintext) throw invalidCiphertext('chunk does not authenticate (altered, or not at this position)', index);
    out.push(plaintext);
  }
  return Buffer.concat(out);
}

/** Reads and decrypts the plaintext range [offset, offset + length) through `read(position,
 *  length)`, which returns ciphertext bytes of the object (a file handle, a tape position). */
export async function readPlaintextRange(
  file: OpenedAgeFile,
  plaintextSize: number,
  offset: number,
  length: number,
  read: (position: number, length: number) => Promise<Buffer>,
): Promise<Buffer> {
  const span = chunkSpan(file.headerSize, plaintextSize, offset, length);
  const ciphertext = await read(span.cipherOffset, span.cipherLength);
  const plaintext = decryptChunkRange(file, span.firstChunk, ciphertext, plaintextSize);
  return plaintext.subarray(span.skip, span.skip + length);
}
