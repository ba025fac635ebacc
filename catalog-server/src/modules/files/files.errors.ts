// Error codes of the file index (ingest, search, restore selection, runs). Every failure the files
// module reports is a FerriteError with one of these codes, so transports can map them one to one.
import { FerriteError } from '../../common/errors.js';

export const FilesErrorCode = {
  JOB_NOT_FOUND: 'JOB_NOT_FOUND',
  JOB_NOT_OWNED: 'JOB_NOT_OWNED',
  JOB_NOT_BACKUP: 'JOB_NOT_BACKUP',
  TAPE_NOT_FOUND: 'TAPE_NOT_FOUND',
  HOST_NOT_FOUND: 'HOST_NOT_FOUND',
  RUN_NOT_FOUND: 'RUN_NOT_FOUND',
  FILE_NOT_FOUND: 'FILE_NOT_FOUND',
  INVALID_RECORD: 'INVALID_RECORD',
  INVALID_PATH: 'INVALID_PATH',
  INVALID_SELECTION: 'INVALID_SELECTION',
  NOTHING_TO_RESTORE: 'NOTHING_TO_RESTORE',
  NOTHING_TO_VERIFY: 'NOTHING_TO_VERIFY',
  INVALID_GLOB: 'INVALID_GLOB',
  INVALID_RANGE: 'INVALID_RANGE',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  INVALID_CURSOR: 'INVALID_CURSOR',
  QUERY_TIMEOUT: 'QUERY_TIMEOUT',
  CATALOG_ERROR: 'CATALOG_ERROR',
} as const;

export type FilesErrorCode = (typeof FilesErrorCode)[keyof typeof FilesErrorCode];

export function filesError(code: FilesErrorCode, message: string, details: Record<string, unknown> = {}): FerriteError {
  return new FerriteError(code, message, details);
}
