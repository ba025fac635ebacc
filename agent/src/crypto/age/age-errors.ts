// Errors of the age module: one class, a stable code each, so jobs can map them to job error codes
// without reading messages.

export const AgeErrorCode = {
  /** A recipient string (`age1...`) that does not parse. */
  INVALID_RECIPIENT: 'INVALID_RECIPIENT',
  /** An identity that does not parse, or no identity/passphrase given opens the file. */
  KEY_INVALID: 'KEY_INVALID',
  /** The bytes are not a valid age file, or fail authentication: a malformed or tampered header,
   *  a tampered, missing or reordered chunk, a truncated stream, trailing data. */
  CIPHERTEXT_INVALID: 'CIPHERTEXT_INVALID',
} as const;
export type AgeErrorCode = (typeof AgeErrorCode)[keyof typeof AgeErrorCode];

export class AgeError extends Error {
  constructor(
    readonly code: AgeErrorCode,
    message: string,
    /** For CIPHERTEXT_INVALID in the payload: the 0-based index of the chunk that failed. */
    readonly chunk?: number,
  ) {
    super(message);
    this.name = 'AgeError';
  }
}

export function invalidCiphertext(message: string, chunk?: number): AgeError {
  const where = chunk === undefined ? '' : ` (chunk ${chunk})`;
  return new AgeError(AgeErrorCode.CIPHERTEXT_INVALID, `age: ${message}${where}`, chunk);
}

export function isAgeError(err: unknown, code?: AgeErrorCode): err is AgeError {
  return err instanceof AgeError && (code === undefined || err.code === code);
}
