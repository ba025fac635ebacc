// The scrypt (passphrase) stanza: `-> scrypt <salt> <log2 N>`, whose body is the file key sealed with
// scrypt(passphrase). The spec wants it alone in its header; decrypting refuses work factors above
// MAX_WORK_FACTOR so a hostile header cannot make us spend minutes and gigabytes.
import { randomBytes, scrypt } from 'node:crypto';
import { invalidCiphertext } from './age-errors.js';
import type { Stanza } from './age-header.js';
import { base64Decode, base64Encode, open, seal } from './primitives.js';

const LABEL = 'age-encryption.org/v1/scrypt';
const ZERO_NONCE = Buffer.alloc(12);
/** What the age command line uses (about a second here). */
export const DEFAULT_WORK_FACTOR = 18;
/** The age command line's own limit. */
export const MAX_WORK_FACTOR = 22;

function deriveKey(passphrase: string, salt: Buffer, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) =>
    scrypt(passphrase, Buffer.concat([Buffer.from(LABEL), salt]), 32, { N, r: 8, p: 1, maxmem: 130 * 8 * N }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function wrapScrypt(fileKey: Buffer, passphrase: string, logN = DEFAULT_WORK_FACTOR): Promise<Stanza> {
  if (!Number.isInteger(logN) || logN < 1 || logN > MAX_WORK_FACTOR) throw new RangeError(`scrypt work factor ${logN} is out of 1..${MAX_WORK_FACTOR}`);
  const salt = randomBytes(16);
  const key = await deriveKey(passphrase, salt, logN);
  return { type: 'scrypt', args: [base64Encode(salt), String(logN)], body: seal(key, ZERO_NONCE, fileKey) };
}

/** The file key if the passphrase opens the stanza, null if it does not. */
export async function unwrapScrypt(stanza: Stanza, passphrase: string): Promise<Buffer | null> {
  const salt = stanza.args.length === 2 ? base64Decode(stanza.args[0]) : null;
  if (salt === null || salt.length !== 16 || !/^[1-9][0-9]?$/.test(stanza.args[1]) || stanza.body.length !== 32) {
    throw invalidCiphertext('malformed scrypt stanza');
  }
  const logN = Number(stanza.args[1]);
  if (logN > MAX_WORK_FACTOR) throw invalidCiphertext(`scrypt work factor ${logN} is above the limit of ${MAX_WORK_FACTOR}`);
  return open(await deriveKey(passphrase, salt, logN), ZERO_NONCE, stanza.body);
}
