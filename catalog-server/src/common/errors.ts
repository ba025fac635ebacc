// Domain errors carry a stable machine-readable code. Resolvers and gRPC handlers never build
// messages of their own: they let these travel, and one mapper per transport turns the code into
// GraphQL `extensions.code` or a gRPC status.
export class FerriteError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'FerriteError';
  }
}

export const notFound = (what: string, code: string, key: string) =>
  new FerriteError(code, `${what} ${JSON.stringify(key)} does not exist`, { key });

export const invalidInput = (code: string, message: string, details: Record<string, unknown> = {}) =>
  new FerriteError(code, message, details);
