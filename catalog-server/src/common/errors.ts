import type { ErrorCode } from './error-codes.js';

// Domain errors carry a stable machine-readable code (one of error-codes.ts). Resolvers and gRPC handlers never build
// messages of their own: they let these travel, and one mapper per transport turns the code into
// GraphQL `extensions.code` or a gRPC status.
export class FerriteError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FerriteError';
  }
}

export const notFound = (what: string, code: ErrorCode, key: string) => new FerriteError(code, `${what} ${JSON.stringify(key)} does not exist`, { key });

export const invalidInput = (code: ErrorCode, message: string, details: Record<string, unknown> = {}) => new FerriteError(code, message, details);
