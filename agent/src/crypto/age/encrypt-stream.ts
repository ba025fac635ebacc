// encryptStream: a node Transform from plaintext to an age file. Memory stays at one 64 KiB chunk
// plus what the stream's own buffers hold; backpressure is the Transform's (a slow writer stops
// the reads). Large writes are sealed in place, chunk by chunk, without copying.
import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { encodeHeader } from './age-header.js';
import { resolveEncryptTo, sealFileKey, type EncryptTo } from './file-key.js';
import { CHUNK_SIZE, PAYLOAD_NONCE_SIZE, payloadKey, payloadSize, sealChunk } from './payload-stream.js';
import { DEFAULT_WORK_FACTOR } from './scrypt-stanza.js';

class AgeEncryptTransform extends Transform {
  private key: Buffer | null = null;
  private readonly pending = Buffer.alloc(CHUNK_SIZE);
  private pendingLength = 0;
  private index = 0;

  constructor(private readonly to: ReturnType<typeof resolveEncryptTo>) {
    super();
  }

  override _construct(callback: (error?: Error | null) => void): void {
    sealFileKey(this.to).then(({ fileKey, header }) => {
      const nonce = randomBytes(PAYLOAD_NONCE_SIZE);
      this.key = payloadKey(fileKey, nonce);
      this.push(Buffer.concat([header, nonce]));
      callback();
    }, callback);
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let at = 0;
    while (at < data.length) {
      // A full pending chunk is sealed only once more bytes arrive: the last chunk carries a flag.
      if (this.pendingLength === CHUNK_SIZE) {
        this.pushChunk(false, this.pending);
        this.pendingLength = 0;
      }
      if (this.pendingLength === 0 && data.length - at > CHUNK_SIZE) {
        this.pushChunk(false, data.subarray(at, at + CHUNK_SIZE));
        at += CHUNK_SIZE;
        continue;
      }
      const n = data.copy(this.pending, this.pendingLength, at, Math.min(data.length, at + CHUNK_SIZE - this.pendingLength));
      this.pendingLength += n;
      at += n;
    }
    callback();
  }

  private pushChunk(last: boolean, plaintext: Buffer): void {
    const [body, tag] = sealChunk(this.key!, this.index++, last, plaintext);
    this.push(body);
    this.push(tag);
  }

  override _flush(callback: TransformCallback): void {
    this.pushChunk(true, this.pending.subarray(0, this.pendingLength));
    callback();
  }
}

/** A Transform that encrypts what is written to it into an age file (header, nonce, chunks).
 *  Recipients are parsed at once: a bad one throws INVALID_RECIPIENT here, before any byte. */
export function encryptStream(to: EncryptTo): Transform {
  return new AgeEncryptTransform(resolveEncryptTo(to));
}

/** The size of the header encryptStream writes (it depends only on the number of recipients, or on
 *  the passphrase's work factor): the header of same-sized stanzas, encoded. The unit tests hold it
 *  to the real thing. */
export function ageHeaderSize(to: EncryptTo): number {
  const resolved = resolveEncryptTo(to);
  const body = Buffer.alloc(32); // a sealed 16-byte file key
  const stanzas =
    'passphrase' in resolved
      ? [{ type: 'scrypt', args: ['A'.repeat(22), String(resolved.workFactor ?? DEFAULT_WORK_FACTOR)], body }]
      : resolved.recipients.map(() => ({ type: 'X25519', args: ['A'.repeat(43)], body }));
  return encodeHeader(stanzas, body).length;
}

/** The size of the age file encryptStream makes from a plaintext of this size (tape capacity
 *  planning: 16 bytes per 64 KiB chunk, plus the nonce and header). */
export function encryptedSize(plaintextSize: number, to: EncryptTo): number {
  return ageHeaderSize(to) + payloadSize(plaintextSize);
}
