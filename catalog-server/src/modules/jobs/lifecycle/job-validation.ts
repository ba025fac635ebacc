// Pure checks of what an operator asks for: backup source paths, restore targets, which tape a
// backup goes to, whether a tape may be formatted without force. No I/O, so each rule is unit-tested.
import { writableDriveCount } from '../../tapes/pool-policy.js';
import { JobErrors } from './jobs.errors.js';

/**
 * What LTFS and the volume label take on a freshly formatted, empty volume. A formatted tape that
 * reports more than this in use holds data (possibly written by something other than Ferrite).
 */
export const EMPTY_VOLUME_OVERHEAD_BYTES = 16 * 1024 * 1024;

/** Absolute, no NUL, no `..` segment; trailing slashes dropped, duplicates removed, order kept. */
export function normalizeSourcePaths(paths: string[]): string[] {
  if (paths.length === 0) throw JobErrors.invalidPath('give at least one path to back up', '');
  const out: string[] = [];
  for (const p of paths) {
    const path = checkAbsolute(p, 'backup path', JobErrors.invalidPath);
    if (!out.includes(path)) out.push(path);
  }
  return out;
}

export function validateExcludes(excludes: string[]): string[] {
  for (const e of excludes) if (e.length === 0 || e.includes('\0')) throw JobErrors.invalidExclude(e);
  return excludes;
}

/**
 * The restore target, normalized. It must be absolute, have no `..` segment (so the agent can
 * never be pointed outside it), and lie under one of the agent's allowed restore roots.
 */
export function validateRestoreTarget(target: string, allowedRoots: string[], agentName: string): string {
  const normalized = checkAbsolute(target, 'restore target', JobErrors.restoreTargetInvalid);
  if (!allowedRoots.some((root) => isUnder(normalized, root))) {
    throw JobErrors.restoreTargetNotAllowed(normalized, agentName, allowedRoots);
  }
  return normalized;
}

/**
 * A format the agent's own policy forbids, refused before a job exists (the agent would refuse it
 * anyway). An agent too old to send its policy (null) is left to decide itself.
 */
export function checkAgentFormats(force: boolean, agent: { name: string; allowFormat: boolean | null; allowForceFormat: boolean | null }): void {
  if (agent.allowFormat === false) throw JobErrors.formatNotAllowed(agent.name, false);
  if (force && agent.allowForceFormat === false) throw JobErrors.formatNotAllowed(agent.name, true);
}

/** Whether `path` is `root` or below it, by whole segments (/data2 is not under /data). */
export function isUnder(path: string, root: string): boolean {
  const r = root.length > 1 ? root.replace(/\/+$/, '') : root;
  return r === '/' || path === r || path.startsWith(`${r}/`);
}

function checkAbsolute(p: string, what: string, error: (message: string, path: string) => Error): string {
  if (p.includes('\0')) throw error(`${what} must not contain a NUL character`, p);
  if (!p.startsWith('/')) throw error(`${what} ${JSON.stringify(p)} must be absolute (start with /)`, p);
  if (p.split('/').includes('..')) throw error(`${what} ${JSON.stringify(p)} must not contain a '..' segment`, p);
  // Collapse repeated slashes and `.` segments, drop a trailing slash.
  const segments = p.split('/').filter((s) => s !== '' && s !== '.');
  return `/${segments.join('/')}`;
}

/** An ACTIVE tape with less room left than this share of its capacity takes no new backup and is
 *  not a backup's next tape (FERRITE_TAPE_MIN_FREE_PERCENT). FULL tapes are never chosen. */
export const DEFAULT_MIN_FREE_PERCENT = 1;

export interface TapeCandidate {
  barcode: string;
  state: string;
  capacityBytes: number;
  usedBytes: number;
  poolId: string | null;
}

/**
 * The tape a backup writes to when the operator names none: the ACTIVE tape with the most free
 * space (fill tapes before starting new ones), else a SCRATCH one. With a pool, only that pool's
 * tapes, scratch tapes in no pool yet, or scratch tapes of the scratch pool the pool draws from
 * (they join the pool when the backup takes them).
 */
export function chooseBackupTape(
  candidates: TapeCandidate[],
  poolId: string | null,
  scratchPoolId: string | null = null,
  minFreePercent = DEFAULT_MIN_FREE_PERCENT,
): string | null {
  const eligible = candidates.filter((t) => isEligibleForPool(t, poolId, scratchPoolId));
  const free = (t: TapeCandidate) => t.capacityBytes - t.usedBytes;
  const roomy = (t: TapeCandidate) => free(t) > 0 && free(t) >= (t.capacityBytes * minFreePercent) / 100;
  const active = eligible.filter((t) => t.state === 'ACTIVE' && roomy(t)).sort((a, b) => free(b) - free(a) || a.barcode.localeCompare(b.barcode));
  if (active.length) return active[0].barcode;
  const scratch = eligible
    .filter((t) => t.state === 'SCRATCH')
    // Prefer scratch tapes already in the pool, then by barcode so the choice is predictable.
    .sort((a, b) => Number(b.poolId !== null) - Number(a.poolId !== null) || a.barcode.localeCompare(b.barcode));
  return scratch[0]?.barcode ?? null;
}

/** Whether a backup to the pool (null: no pool) may write this tape. */
export function isEligibleForPool(t: Pick<TapeCandidate, 'state' | 'poolId'>, poolId: string | null, scratchPoolId: string | null): boolean {
  if (poolId === null || t.poolId === poolId) return true;
  return t.state === 'SCRATCH' && (t.poolId === null || (scratchPoolId !== null && t.poolId === scratchPoolId));
}

export interface FormatCheck {
  state: string;
  formatted: boolean;
  usedBytes: number;
  hasPlacements: boolean;
}

/**
 * Why formatting this tape without force would destroy data, or null when it holds none. A tape
 * holds data when the catalog has placements on it, when it is past SCRATCH (something was written),
 * or when it is formatted and its volume reports more in use than an empty volume.
 */
export function formatBlockReason(t: FormatCheck): string | null {
  if (t.hasPlacements) return 'holds files recorded in the catalog';
  if (t.state !== 'SCRATCH') return `is ${t.state}, not SCRATCH`;
  if (t.formatted && t.usedBytes > EMPTY_VOLUME_OVERHEAD_BYTES) {
    return `is formatted and has ${t.usedBytes} bytes in use`;
  }
  return null;
}

/**
 * The agent a format goes to. A tape in a library is formatted there (naming another agent is a
 * mistake). A tape in no library waits for an operator to insert it: into the named agent's library,
 * else into the one that held it last; with neither, nobody knows where it should go.
 */
export function formatAgentId(barcode: string, holder: string | null, named: { id: string; name: string } | null, lastHolder: string | null): string {
  if (holder) {
    if (named && named.id !== holder) throw JobErrors.tapeNotInLibrary([barcode], named.name);
    return holder;
  }
  const id = named?.id ?? lastHolder;
  if (!id) throw JobErrors.tapeAgentUnknown(barcode);
  return id;
}

/**
 * A pool's copies are written at once by the backup's own agent, one drive each: a backup (or a
 * schedule) from an agent with fewer drives able to write the pool's generation could never run.
 */
export function checkAgentWritesCopies(
  agentName: string,
  pool: { name: string; copies: number; generation: number | null },
  drives: { generation: number }[],
): void {
  if (pool.copies <= 1) return;
  const writable = writableDriveCount(
    pool.generation,
    drives.map((d) => ({ generation: d.generation, count: 1 })),
  );
  if (writable < pool.copies) throw JobErrors.copiesUnsatisfiable(agentName, pool.name, pool.copies, pool.generation, writable);
}

/**
 * The agent that reads a verify's tapes: the one named (every tape in a library must be in its
 * own), else the one whose library holds them, else the one that held the first of them last. The
 * tapes of a verify are read by one drive, one at a time, so they must end up in one library.
 */
export function readerAgentId(
  tapes: Array<{ barcode: string; agentId: string | null; agentName: string | null; lastAgentId: string | null }>,
  named: { id: string; name: string } | null,
): string {
  const holders = new Map<string, { name: string; tapes: string[] }>();
  for (const t of tapes) {
    if (!t.agentId) continue;
    const h = holders.get(t.agentId) ?? { name: t.agentName ?? t.agentId, tapes: [] };
    h.tapes.push(t.barcode);
    holders.set(t.agentId, h);
  }
  if (named) {
    const elsewhere = [...holders].filter(([id]) => id !== named.id).flatMap(([, h]) => h.tapes);
    if (elsewhere.length) throw JobErrors.tapeNotInLibrary(elsewhere, named.name);
    return named.id;
  }
  if (holders.size > 1) throw JobErrors.tapesInSeveralLibraries(new Map([...holders.values()].map((h) => [h.name, h.tapes])));
  const [holder] = holders.keys();
  if (holder) return holder;
  const last = tapes.find((t) => t.lastAgentId)?.lastAgentId;
  if (!last) throw JobErrors.tapeAgentUnknown(tapes[0].barcode);
  return last;
}
