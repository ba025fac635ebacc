// The age file format (age-encryption.org/v1) on node's native crypto: keys, streaming encryption
// and decryption, sizes, and random access by chunk. See agent/README.md, "Encryption: the age format".
export { AgeError, AgeErrorCode, isAgeError } from './age-errors.js';
export { formatIdentity, generateIdentity, parseIdentity, parseIdentityFile, parseRecipient, type AgeIdentity, type AgeRecipient } from './age-keys.js';
export type { DecryptWith, EncryptTo } from './file-key.js';
export { ageHeaderSize, encryptedSize, encryptStream } from './encrypt-stream.js';
export { decryptStream } from './decrypt-stream.js';
export { CHUNK_SIZE, chunkSpan, payloadSize, plaintextSizeOfPayload, type ChunkSpan } from './payload-stream.js';
export { decryptChunkRange, openAgeHeader, readPlaintextRange, type OpenedAgeFile } from './chunk-range.js';
export { DEFAULT_WORK_FACTOR, MAX_WORK_FACTOR } from './scrypt-stanza.js';
