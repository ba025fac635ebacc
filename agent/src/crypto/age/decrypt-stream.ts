// decryptStream: a node Transform from an age file to its plaintext. Each chunk is pushed only
// after its tag authenticates, under the nonce its position and the last-chunk flag demand, so
// a tampered, reordered, truncated or extended stream fails at the chunk where it goes wrong
// (CIPHERTEXT_INVALID, `chunk` set). Chunks authenticated before the failure have been pushed by
// then: a caller must treat the whole object as failed, never the bytes it got as a prefix.
import { Transform, type TransformCallback } from 'node:stream';
import { invalidCiphertext } from './age-errors.js';
import { headerLength, parseHeader } from './age-header.js';
import { openFileKey, resolveDecryptWith, type DecryptWith } from './file-key.js';
import { openChunk, PAYLOAD_NONCE_SIZE, payloadKey, SEALED_CHUNK_SIZE } from './payload-stream.js';

class AgeDecryptTransform extends Transform {
  private head: Buffer | null = Buffer.alloc(0);
  private key: Buffer | null = null;
  private readonly pending = Buffer.alloc(SEALED_CHUNK_SIZE);
  private pendingLength = 0;
  private index = 0;

  constructor(private readonly keys: ReturnType<typeof resolveDecryptWith>) {
    super();
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.key) return this.run(() => this.chunks(data), callback);
    this.readHead(data).then(
      (rest) => this.run(() => rest && this.chunks(rest), callback),
      (err: Error) => callback(err),
    );
  }

  override _flush(callback: TransformCallback): void {
    this.run(() => {
      if (!this.key) throw invalidCiphertext('the file ends inside its header (truncated)');
      this.lastChunk();
    }, callback);
  }

  private run(step: () => unknown, callback: TransformCallback): void {
    try {
      step();
    } catch (err) {
      return callback(err as Error);
    }
    callback();
  }

  /** Gathers the header and the payload nonce, opens the file key; returns the bytes after them
   *  once it has, null while it needs more. */
  private async readHead(data: Buffer): Promise<Buffer | null> {
    const head = Buffer.concat([this.head!, data]);
    const size = headerLength(head);
    if (size === null || head.length < size + PAYLOAD_NONCE_SIZE) {
      this.head = head;
      return null;
    }
    this.head = null;
    const fileKey = await openFileKey(parseHeader(head), this.keys);
    this.key = payloadKey(fileKey, head.subarray(size, size + PAYLOAD_NONCE_SIZE));
    return head.subarray(size + PAYLOAD_NONCE_SIZE);
  }

  private chunks(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      // A full pending chunk is opened as a middle chunk only once more bytes follow it.
      if (this.pendingLength === SEALED_CHUNK_SIZE) {
        this.push(this.middleChunk(this.pending));
        this.pendingLength = 0;
      }
      if (this.pendingLength === 0 && data.length - at > SEALED_CHUNK_SIZE) {
        this.push(this.middleChunk(data.subarray(at, at + SEALED_CHUNK_SIZE)));
        at += SEALED_CHUNK_SIZE;
        continue;
      }
      const n = data.copy(this.pending, this.pendingLength, at, Math.min(data.length, at + SEALED_CHUNK_SIZE - this.pendingLength));
      this.pendingLength += n;
      at += n;
    }
  }

  private middleChunk(sealed: Buffer): Buffer {
    const plaintext = openChunk(this.key!, this.index, false, sealed);
    if (!plaintext) {
      const final = openChunk(this.key!, this.index, true, sealed) !== null;
      throw invalidCiphertext(final ? 'data follows the final chunk' : 'chunk does not authenticate (altered, reordered or from another file)', this.index);
    }
    this.index++;
    return plaintext;
  }

  private lastChunk(): void {
    const sealed = this.pending.subarray(0, this.pendingLength);
    const plaintext = openChunk(this.key!, this.index, true, sealed);
    if (plaintext === null) {
      const middle = sealed.length === SEALED_CHUNK_SIZE && openChunk(this.key!, this.index, false, sealed) !== null;
      throw invalidCiphertext(
        middle || sealed.length === 0 ? 'the file ends without its final chunk (truncated)' : 'final chunk does not authenticate (altered or truncated)',
        this.index,
      );
    }
    if (plaintext.length === 0 && this.index > 0) throw invalidCiphertext('empty final chunk after other chunks', this.index);
    this.push(plaintext);
  }
}

/** A Transform that decrypts an age file written to it. Identities are parsed at once (a bad one
 *  throws KEY_INVALID here); a file none of them opens fails the stream with KEY_INVALID before any
 *  output, a malformed or altered one with CIPHERTEXT_INVALID (see the header comment). */
export function decryptStream(keys: DecryptWith): Transform {
  return new AgeDecryptTransform(resolveDecryptWith(keys));
}
