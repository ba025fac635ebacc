// The one mapper from errors to gRPC statuses for the agent endpoint. A FerriteError keeps its
// message and its code travels in the `ferrite-code` trailer, so the agent can act on the code
// (retry, re-register, give up) without parsing text; anything else is INTERNAL with a log line.
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { FerriteError } from '../../common/errors.js';
import type { ErrorCode } from '../../common/error-codes.js';

// Every code's status, spelled out: the type makes the table exhaustive, so a new code does not
// compile until it is here. NOT_FOUND, INVALID_ARGUMENT and PERMISSION_DENIED are refusals the agent
// gives up on; FAILED_PRECONDITION is a well-formed request the current state refuses; UNAVAILABLE and
// DEADLINE_EXCEEDED are transient (the agent's retry policy applies).
const GRPC_STATUS: Record<ErrorCode, status> = {
  // Operators' codes (they reach agents only if a shared service throws them): statuses the agent
  // already treats, a refusal it gives up on, a rate limit it retries later.
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  // An agent's certificate: refusals it does not retry (enrol again, or ask an admin).
  ENROLLMENT_INVALID: status.PERMISSION_DENIED,
  INVALID_CSR: status.INVALID_ARGUMENT,
  AGENT_IDENTITY_MISMATCH: status.PERMISSION_DENIED,
  CERTIFICATE_REVOKED: status.UNAUTHENTICATED,
  FORBIDDEN: status.PERMISSION_DENIED,
  OPERATOR_NOT_FOUND: status.NOT_FOUND,
  OPERATOR_ALREADY_EXISTS: status.FAILED_PRECONDITION,
  TOKEN_NOT_FOUND: status.NOT_FOUND,
  LAST_ADMIN: status.FAILED_PRECONDITION,
  RATE_LIMITED: status.UNAVAILABLE,
  AGENT_NOT_FOUND: status.NOT_FOUND,
  AGENT_OFFLINE: status.FAILED_PRECONDITION,
  BACKUP_PATH_NOT_FOUND: status.NOT_FOUND,
  CATALOG_ERROR: status.UNAVAILABLE,
  DRIVE_BUSY: status.FAILED_PRECONDITION,
  DRIVE_DOES_NOT_NEED_CLEANING: status.FAILED_PRECONDITION,
  DRIVE_EMPTY: status.FAILED_PRECONDITION,
  DRIVE_INCOMPATIBLE: status.FAILED_PRECONDITION,
  DRIVE_NEEDS_CLEANING: status.FAILED_PRECONDITION,
  DRIVE_NOT_FOUND: status.NOT_FOUND,
  DRIVE_NOT_IN_LIBRARY: status.FAILED_PRECONDITION,
  DRIVE_OCCUPIED: status.FAILED_PRECONDITION,
  DRIVE_OFFLINE: status.FAILED_PRECONDITION,
  FILE_NOT_FOUND: status.NOT_FOUND,
  HOST_NOT_FOUND: status.NOT_FOUND,
  IDEMPOTENCY_KEY_CONFLICT: status.FAILED_PRECONDITION,
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  INVALID_BARCODE: status.INVALID_ARGUMENT,
  INVALID_COUNT: status.INVALID_ARGUMENT,
  INVALID_CRON: status.INVALID_ARGUMENT,
  INVALID_CURSOR: status.INVALID_ARGUMENT,
  INVALID_EVENT: status.INVALID_ARGUMENT,
  INVALID_EXCLUDE: status.INVALID_ARGUMENT,
  INVALID_GENERATION: status.INVALID_ARGUMENT,
  INVALID_GLOB: status.INVALID_ARGUMENT,
  INVALID_JOB_SPEC: status.INVALID_ARGUMENT,
  INVALID_PAGE_SIZE: status.INVALID_ARGUMENT,
  INVALID_PATH: status.INVALID_ARGUMENT,
  INVALID_POOL: status.INVALID_ARGUMENT,
  INVALID_PRIORITY: status.INVALID_ARGUMENT,
  INVALID_RANGE: status.INVALID_ARGUMENT,
  INVALID_REBUILD_REPORT: status.INVALID_ARGUMENT,
  INVALID_RECORD: status.INVALID_ARGUMENT,
  INVALID_REGISTRATION: status.INVALID_ARGUMENT,
  INVALID_SCHEDULE_NAME: status.INVALID_ARGUMENT,
  INVALID_SELECTION: status.INVALID_ARGUMENT,
  INVALID_SLOT: status.INVALID_ARGUMENT,
  INVALID_TIME_ZONE: status.INVALID_ARGUMENT,
  JOB_ALREADY_FINISHED: status.FAILED_PRECONDITION,
  JOB_NOT_BACKUP: status.FAILED_PRECONDITION,
  JOB_NOT_FOUND: status.NOT_FOUND,
  PLAN_FAILED: status.FAILED_PRECONDITION,
  PLAN_TIMEOUT: status.DEADLINE_EXCEEDED,
  JOB_NOT_OWNED: status.PERMISSION_DENIED,
  JOB_NOT_QUEUED: status.FAILED_PRECONDITION,
  JOB_NOT_REBUILD: status.FAILED_PRECONDITION,
  LABEL_MISMATCH: status.FAILED_PRECONDITION,
  LIBRARY_NOT_FOUND: status.NOT_FOUND,
  NOTHING_TO_REBUILD: status.FAILED_PRECONDITION,
  NOTHING_TO_RESTORE: status.FAILED_PRECONDITION,
  NOTHING_TO_VERIFY: status.FAILED_PRECONDITION,
  NO_CLEANING_CARTRIDGE: status.FAILED_PRECONDITION,
  NO_DRIVE_AVAILABLE: status.FAILED_PRECONDITION,
  POOL_ALREADY_EXISTS: status.FAILED_PRECONDITION,
  POOL_COPIES_UNSATISFIABLE: status.FAILED_PRECONDITION,
  POOL_NOT_FOUND: status.NOT_FOUND,
  QUERY_TIMEOUT: status.DEADLINE_EXCEEDED,
  RESTORE_TARGET_INVALID: status.INVALID_ARGUMENT,
  RESTORE_TARGET_NOT_ALLOWED: status.PERMISSION_DENIED,
  POLICY_DENIED: status.PERMISSION_DENIED,
  RUN_NOT_FOUND: status.NOT_FOUND,
  SCHEDULE_ALREADY_EXISTS: status.FAILED_PRECONDITION,
  SCHEDULE_NOT_FOUND: status.NOT_FOUND,
  SESSION_INVALID: status.FAILED_PRECONDITION,
  SLOT_OCCUPIED: status.FAILED_PRECONDITION,
  STALE_ATTEMPT: status.FAILED_PRECONDITION,
  TAPES_IN_SEVERAL_LIBRARIES: status.FAILED_PRECONDITION,
  TAPE_AGENT_UNKNOWN: status.FAILED_PRECONDITION,
  TAPE_ALREADY_EXISTS: status.FAILED_PRECONDITION,
  TAPE_ALREADY_LOADED: status.FAILED_PRECONDITION,
  TAPE_BUSY: status.FAILED_PRECONDITION,
  TAPE_IN_DRIVE: status.FAILED_PRECONDITION,
  TAPE_IN_LIBRARY: status.FAILED_PRECONDITION,
  TAPE_IS_CLEANING_CARTRIDGE: status.FAILED_PRECONDITION,
  TAPE_IS_WORM: status.FAILED_PRECONDITION,
  TAPE_NOT_CLEANING_CARTRIDGE: status.FAILED_PRECONDITION,
  TAPE_NOT_EMPTY: status.FAILED_PRECONDITION,
  TAPE_NOT_FORMATTED: status.FAILED_PRECONDITION,
  TAPE_NOT_FOUND: status.NOT_FOUND,
  TAPE_NOT_IN_LIBRARY: status.FAILED_PRECONDITION,
  TAPE_NOT_LOADED: status.FAILED_PRECONDITION,
  TAPE_NOT_WRITABLE: status.FAILED_PRECONDITION,
  TAPE_POOL_MISMATCH: status.FAILED_PRECONDITION,
  TAPE_RETIRED: status.FAILED_PRECONDITION,
  TAPE_WRITE_PROTECTED: status.FAILED_PRECONDITION,
};

export function grpcStatusFor(code: ErrorCode): status {
  return GRPC_STATUS[code];
}

export const FERRITE_CODE_KEY = 'ferrite-code';
/** What the agent should do about the refusal: "register" (its session is unknown here). */
export const FERRITE_ACTION_KEY = 'ferrite-action';
/** Codes after which the agent registers again rather than failing. */
const REGISTER_AGAIN: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['SESSION_INVALID']);

/** The error object grpc-js sends for a failed call. `log` gets unexpected errors and the causes of
 *  database failures. */
export function toGrpcError(err: unknown, log: (err: unknown) => void): Partial<ServiceError> & { code: status } {
  const metadata = new Metadata();
  if (err instanceof FerriteError) {
    metadata.set(FERRITE_CODE_KEY, err.code);
    // A database failure: the agent gets the code and the operation, the log the database's words.
    if (err.cause !== undefined) log(err.cause);
    if (REGISTER_AGAIN.has(err.code)) metadata.set(FERRITE_ACTION_KEY, 'register');
    return { code: grpcStatusFor(err.code), details: `${err.code}: ${err.message}`, metadata };
  }
  log(err);
  metadata.set(FERRITE_CODE_KEY, 'INTERNAL_ERROR');
  return { code: status.INTERNAL, details: 'INTERNAL_ERROR: internal error in the catalog server; it has been logged', metadata };
}
