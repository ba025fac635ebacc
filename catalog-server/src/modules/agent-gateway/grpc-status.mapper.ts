// The one mapper from errors to gRPC statuses for the agent endpoint. A FerriteError keeps its
// message and its code travels in the `ferrite-code` trailer, so the agent can act on the code
// (retry, re-register, give up) without parsing text; anything else is INTERNAL with a log line.
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { FerriteError } from '../../common/errors.js';

const EXPLICIT: Record<string, status> = {
  JOB_NOT_OWNED: status.PERMISSION_DENIED,
  SESSION_INVALID: status.FAILED_PRECONDITION,
  STALE_ATTEMPT: status.FAILED_PRECONDITION,
  JOB_ALREADY_FINISHED: status.FAILED_PRECONDITION,
  INVALID_SELECTION: status.INVALID_ARGUMENT,
  NOTHING_TO_RESTORE: status.FAILED_PRECONDITION,
  // Transient: the agent's retry policy applies.
  QUERY_TIMEOUT: status.DEADLINE_EXCEEDED,
  CATALOG_ERROR: status.UNAVAILABLE,
};

export function grpcStatusFor(code: string): status {
  const explicit = EXPLICIT[code];
  if (explicit !== undefined) return explicit;
  if (code.endsWith('_NOT_FOUND')) return status.NOT_FOUND;
  if (code.endsWith('_NOT_OWNED') || code.endsWith('_NOT_ALLOWED')) return status.PERMISSION_DENIED;
  if (code.startsWith('INVALID_') || code.endsWith('_INVALID')) return status.INVALID_ARGUMENT;
  // Everything else is a well-formed request the current state refuses.
  return status.FAILED_PRECONDITION;
}

export const FERRITE_CODE_KEY = 'ferrite-code';
/** What the agent should do about the refusal: "register" (its session is unknown here). */
export const FERRITE_ACTION_KEY = 'ferrite-action';
/** Codes after which the agent registers again rather than failing. */
const REGISTER_AGAIN: ReadonlySet<string> = new Set(['SESSION_INVALID']);

/** The error object grpc-js sends for a failed call. `log` is called for unexpected errors only. */
export function toGrpcError(err: unknown, log: (err: unknown) => void): Partial<ServiceError> & { code: status } {
  const metadata = new Metadata();
  if (err instanceof FerriteError) {
    metadata.set(FERRITE_CODE_KEY, err.code);
    if (REGISTER_AGAIN.has(err.code)) metadata.set(FERRITE_ACTION_KEY, 'register');
    return { code: grpcStatusFor(err.code), details: `${err.code}: ${err.message}`, metadata };
  }
  log(err);
  metadata.set(FERRITE_CODE_KEY, 'INTERNAL_ERROR');
  return { code: status.INTERNAL, details: 'INTERNAL_ERROR: internal error in the catalog server; it has been logged', metadata };
}
