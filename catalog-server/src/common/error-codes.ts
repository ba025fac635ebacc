// Every error code the catalog server gives a client (GraphQL `extensions.code`) or an agent (the
// gRPC `ferrite-code` trailer): one list per domain, their union ErrorCode. FerriteError takes only
// these, and each transport maps the union exhaustively (a code added here does not compile until
// the gRPC table in agent-gateway/grpc-status.mapper.ts says what status it is).

/** Any domain: paging, bad arguments, the database. */
export const COMMON_ERROR_CODES = ['CATALOG_ERROR', 'INVALID_ARGUMENT', 'INVALID_CURSOR', 'INVALID_PAGE_SIZE', 'QUERY_TIMEOUT'] as const;
export type CommonErrorCode = (typeof COMMON_ERROR_CODES)[number];

/** Agents, their registration and sessions. */
export const AGENT_ERROR_CODES = ['AGENT_NOT_FOUND', 'AGENT_OFFLINE', 'INVALID_REGISTRATION', 'SESSION_INVALID'] as const;
export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[number];

/** The file index: ingest, search, restore and verify selections, runs. */
export const FILES_ERROR_CODES = [
  'FILE_NOT_FOUND',
  'HOST_NOT_FOUND',
  'INVALID_GLOB',
  'INVALID_PATH',
  'INVALID_RANGE',
  'INVALID_RECORD',
  'INVALID_SELECTION',
  'JOB_NOT_BACKUP',
  'JOB_NOT_FOUND',
  'JOB_NOT_OWNED',
  'NOTHING_TO_RESTORE',
  'NOTHING_TO_VERIFY',
  'RUN_NOT_FOUND',
  'TAPE_NOT_FOUND',
] as const;
export type FilesErrorCode = (typeof FILES_ERROR_CODES)[number];

/** Jobs: creation, reports, restores and rebuilds. */
export const JOB_ERROR_CODES = [
  'BACKUP_PATH_NOT_FOUND',
  'POLICY_DENIED',
  'IDEMPOTENCY_KEY_CONFLICT',
  'INVALID_EVENT',
  'INVALID_EXCLUDE',
  'INVALID_JOB_SPEC',
  'INVALID_PATH',
  'INVALID_PRIORITY',
  'INVALID_REBUILD_REPORT',
  'JOB_ALREADY_FINISHED',
  'JOB_NOT_FOUND',
  'JOB_NOT_OWNED',
  'JOB_NOT_QUEUED',
  'JOB_NOT_REBUILD',
  'LABEL_MISMATCH',
  'NOTHING_TO_REBUILD',
  'PLAN_FAILED',
  'PLAN_TIMEOUT',
  'POOL_COPIES_UNSATISFIABLE',
  'RESTORE_TARGET_INVALID',
  'RESTORE_TARGET_NOT_ALLOWED',
  'STALE_ATTEMPT',
  'TAPES_IN_SEVERAL_LIBRARIES',
  'TAPE_AGENT_UNKNOWN',
  'TAPE_ALREADY_EXISTS',
  'TAPE_BUSY',
  'TAPE_IS_CLEANING_CARTRIDGE',
  'TAPE_IS_WORM',
  'TAPE_NOT_EMPTY',
  'TAPE_NOT_FORMATTED',
  'TAPE_NOT_IN_LIBRARY',
  'TAPE_NOT_WRITABLE',
  'TAPE_POOL_MISMATCH',
  'TAPE_RETIRED',
  'TAPE_WRITE_PROTECTED',
] as const;
export type JobErrorCode = (typeof JOB_ERROR_CODES)[number];

/** Backup schedules. */
export const SCHEDULE_ERROR_CODES = [
  'INVALID_COUNT',
  'INVALID_CRON',
  'INVALID_SCHEDULE_NAME',
  'INVALID_TIME_ZONE',
  'SCHEDULE_ALREADY_EXISTS',
  'SCHEDULE_NOT_FOUND',
] as const;
export type ScheduleErrorCode = (typeof SCHEDULE_ERROR_CODES)[number];

/** Tape operations: load, unload, move, check, clean, retire. */
export const TAPE_OPERATION_ERROR_CODES = [
  'DRIVE_BUSY',
  'DRIVE_DOES_NOT_NEED_CLEANING',
  'DRIVE_EMPTY',
  'DRIVE_INCOMPATIBLE',
  'DRIVE_NEEDS_CLEANING',
  'DRIVE_NOT_FOUND',
  'DRIVE_NOT_IN_LIBRARY',
  'DRIVE_OCCUPIED',
  'DRIVE_OFFLINE',
  'INVALID_ARGUMENT',
  'INVALID_SLOT',
  'LIBRARY_NOT_FOUND',
  'NO_CLEANING_CARTRIDGE',
  'NO_DRIVE_AVAILABLE',
  'SLOT_OCCUPIED',
  'TAPE_ALREADY_LOADED',
  'TAPE_IN_DRIVE',
  'TAPE_IN_LIBRARY',
  'TAPE_IS_CLEANING_CARTRIDGE',
  'TAPE_NOT_CLEANING_CARTRIDGE',
  'TAPE_NOT_FOUND',
  'TAPE_NOT_IN_LIBRARY',
  'TAPE_NOT_LOADED',
  'TAPE_RETIRED',
] as const;
export type TapeOperationErrorCode = (typeof TAPE_OPERATION_ERROR_CODES)[number];

/** Tapes and pools. */
export const TAPE_ERROR_CODES = [
  'INVALID_BARCODE',
  'INVALID_GENERATION',
  'INVALID_POOL',
  'POOL_ALREADY_EXISTS',
  'POOL_NOT_FOUND',
  'TAPE_ALREADY_EXISTS',
  'TAPE_NOT_FOUND',
] as const;
export type TapeErrorCode = (typeof TAPE_ERROR_CODES)[number];

/** Operators, their tokens and roles. */
export const AUTH_ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'OPERATOR_NOT_FOUND',
  'OPERATOR_ALREADY_EXISTS',
  'TOKEN_NOT_FOUND',
  'LAST_ADMIN',
  'RATE_LIMITED',
] as const;
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

/** Agents' certificates: enrolment, renewal, revocation, and the identity every gRPC call carries. */
export const AGENT_IDENTITY_ERROR_CODES = ['ENROLLMENT_INVALID', 'INVALID_CSR', 'AGENT_IDENTITY_MISMATCH', 'CERTIFICATE_REVOKED'] as const;
export type AgentIdentityErrorCode = (typeof AGENT_IDENTITY_ERROR_CODES)[number];

export type ErrorCode =
  | AuthErrorCode
  | AgentIdentityErrorCode
  | CommonErrorCode
  | AgentErrorCode
  | FilesErrorCode
  | JobErrorCode
  | ScheduleErrorCode
  | TapeOperationErrorCode
  | TapeErrorCode;

/** Every code, once (for tests and documentation). */
export const ERROR_CODES: readonly ErrorCode[] = [
  ...new Set<ErrorCode>([
    ...AUTH_ERROR_CODES,
    ...AGENT_IDENTITY_ERROR_CODES,
    ...COMMON_ERROR_CODES,
    ...AGENT_ERROR_CODES,
    ...FILES_ERROR_CODES,
    ...JOB_ERROR_CODES,
    ...SCHEDULE_ERROR_CODES,
    ...TAPE_OPERATION_ERROR_CODES,
    ...TAPE_ERROR_CODES,
  ]),
];
