// Error codes of the jobs domain. Messages name the thing and say what to do next.
import { FerriteError } from '../../../common/errors.js';
import type { JobErrorCode } from '../../../common/error-codes.js';

const err = (code: JobErrorCode, message: string, details: Record<string, unknown> = {}) => new FerriteError(code, message, details);

export const JobErrors = {
  notFound: (id: string) => err('JOB_NOT_FOUND', `job ${JSON.stringify(id)} does not exist`, { jobId: id }),
  notOwned: (jobId: string, agentId: string) => err('JOB_NOT_OWNED', `job ${jobId} is not assigned to agent ${agentId}`, { jobId, agentId }),
  alreadyFinished: (id: string, status: string) => err('JOB_ALREADY_FINISHED', `job ${id} already ended (${status}); nothing to cancel`, { jobId: id, status }),
  staleAttempt: (id: string, attempt: number, current: number) =>
    err('STALE_ATTEMPT', `job ${id} is on attempt ${current}; reports for attempt ${attempt} are no longer taken`, { jobId: id, attempt, current }),
  invalidEvent: (message: string, details: Record<string, unknown> = {}) => err('INVALID_EVENT', message, details),
  idempotencyConflict: (key: string, kind: string) =>
    err('IDEMPOTENCY_KEY_CONFLICT', `idempotency key ${JSON.stringify(key)} was already used for a ${kind} job`, { idempotencyKey: key, kind }),
  invalidPath: (message: string, path: string) => err('INVALID_PATH', message, { path }),
  invalidExclude: (pattern: string) =>
    err('INVALID_EXCLUDE', `exclude pattern ${JSON.stringify(pattern)} must be a non-empty pattern without NUL characters`, { pattern }),
  restoreTargetInvalid: (message: string, target: string) => err('RESTORE_TARGET_INVALID', message, { targetDirectory: target }),
  restoreTargetNotAllowed: (target: string, agent: string, roots: string[]) =>
    err(
      'RESTORE_TARGET_NOT_ALLOWED',
      roots.length
        ? `${target} is not under a directory agent ${agent} accepts restores into (${roots.join(', ')})`
        : `agent ${agent} accepts no restore targets: set its allowed restore roots`,
      { targetDirectory: target, agent, allowedRestoreRoots: roots },
    ),
  formatNotAllowed: (agent: string, force: boolean) =>
    err(
      'POLICY_DENIED',
      force
        ? `agent ${agent} does not format tapes that hold a volume (allowForceFormat is false in its own config, which no server can override)`
        : `agent ${agent} does not format tapes (allowFormat is false in its own config, which no server can override)`,
      { agent, force },
    ),
  tapeNotInLibrary: (barcodes: string[], agent: string | null) =>
    err(
      'TAPE_NOT_IN_LIBRARY',
      agent
        ? `${barcodes.length === 1 ? `tape ${barcodes[0]} is` : `tapes ${barcodes.join(', ')} are`} not in agent ${agent}'s library; load ${barcodes.length === 1 ? 'it' : 'them'} there first`
        : `tape ${barcodes[0]} is on a shelf; load it into an agent's library first`,
      { tapes: barcodes, agent },
    ),
  tapeAgentUnknown: (barcode: string) =>
    err('TAPE_AGENT_UNKNOWN', `tape ${barcode} is in no library and no agent has held it; pass agent: the agent whose library it should be inserted into`, {
      barcode,
    }),
  tapesInSeveralLibraries: (byAgent: Map<string, string[]>) =>
    err(
      'TAPES_IN_SEVERAL_LIBRARIES',
      `the tapes to read are in the libraries of several agents (${[...byAgent].map(([agent, tapes]) => `${agent}: ${tapes.join(', ')}`).join('; ')}); pass agent to choose the one that reads them, and move the others' tapes there`,
      { agents: Object.fromEntries(byAgent) },
    ),
  noTapesToRebuild: (agent: string) =>
    err('NOTHING_TO_REBUILD', `agent ${agent}'s library holds no formatted tape to read; insert the tapes and run an inventory first`, { agent }),
  tapeRetired: (barcode: string) => err('TAPE_RETIRED', `tape ${barcode} is retired and takes no more data`, { barcode }),
  tapeWriteProtected: (barcode: string) =>
    err('TAPE_WRITE_PROTECTED', `tape ${barcode} is write-protected; slide its write-protect tab off and re-inventory`, { barcode }),
  tapeNotEmpty: (barcode: string, reason: string) =>
    err('TAPE_NOT_EMPTY', `tape ${barcode} ${reason}; formatting erases it: pass force: true if that is what you want`, { barcode }),
  tapeNotFormatted: (barcode: string) => err('TAPE_NOT_FORMATTED', `tape ${barcode} is not formatted; run formatTape first`, { barcode }),
  tapeAwaitingReformat: (barcode: string) =>
    err(
      'TAPE_NOT_FORMATTED',
      `tape ${barcode} was recycled: everything on it has expired, and it takes no backup and gives no rebuild until the format retention queued for it writes a new volume`,
      {
        barcode,
        reformatPending: true,
      },
    ),
  tapeNotWritable: (barcode: string, state: string) => err('TAPE_NOT_WRITABLE', `tape ${barcode} is ${state} and takes no more data`, { barcode, state }),
  tapePoolMismatch: (barcode: string, tapePool: string, pool: string) =>
    err('TAPE_POOL_MISMATCH', `tape ${barcode} belongs to pool ${tapePool}, not ${pool}`, { barcode, tapePool, pool }),
  tapeGenerationMismatch: (barcode: string, generation: number, pool: string, poolGeneration: number) =>
    err('TAPE_POOL_MISMATCH', `tape ${barcode} is LTO-${generation} but pool ${pool} takes LTO-${poolGeneration}`, { barcode, pool }),
  tapeBusy: (barcode: string, jobId: string) =>
    err('TAPE_BUSY', `tape ${barcode} has an unfinished job (${jobId}); wait for it or cancel it`, { barcode, jobId }),
  tapeIsWorm: (barcode: string) =>
    err('TAPE_IS_WORM', `tape ${barcode} is a WORM cartridge that already holds a volume; it can never be reformatted`, { barcode }),
  cleaningCartridge: (barcode: string) => err('TAPE_IS_CLEANING_CARTRIDGE', `${barcode} is a cleaning cartridge and cannot hold data`, { barcode }),
  invalidPriority: (priority: number) => err('INVALID_PRIORITY', `priority must be a whole number from 0 to 1000, got ${priority}`, { priority }),
  notQueued: (id: string, status: string) => err('JOB_NOT_QUEUED', `job ${id} is ${status}; only a QUEUED job's priority can change`, { jobId: id, status }),
  copiesUnsatisfiable: (agent: string, pool: string, copies: number, generation: number | null, drives: number) =>
    err(
      'POOL_COPIES_UNSATISFIABLE',
      `pool ${pool} writes ${copies} copies at once, one per drive, but agent ${agent} has only ${drives} drive(s) that can write ${generation ? `LTO-${generation}` : 'its'} tapes; back up from an agent with more drives or lower the pool's copies`,
      { agent, pool, copies, drives },
    ),
};
