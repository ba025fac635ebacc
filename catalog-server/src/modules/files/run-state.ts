// SQL building blocks for "the state at a point in time". An incremental run stores only what
// changed since its base run (new and changed entries, deletion markers); a FULL run stores every
// entry. So the state a run saw is its chain: the run, its base, the base's base, ... down to and
// including the first FULL run, where for every entry the version nearest the head of the chain
// wins, and an entry whose winning version is a deletion marker is absent.
//
// Both builders produce a CTE named `chain(id, num, ...)`: `num` is the run surrogate file versions
// store, head_at orders several chains (one per source root, newest head first), depth orders the
// runs within one chain (0 = the head).

/** Collects bound parameters; `add` returns the placeholder. */
export class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** What a point in time is: one run (its own chain), or an instant on one host (for each source
 *  root, the chain of the newest run that had finished successfully by then). */
export type AsOf = { runId: string } | { hostId: number; at: Date };

// A run's chain ends at a FULL run; the depth bound only guards against a corrupt base cycle.
const CHAIN_STEP = `
  UNION ALL
  SELECT r.id, r.num, r.level, r.base_run_id, c.head_at, c.depth + 1
    FROM run r JOIN chain c ON r.id = c.base_run_id
   WHERE c.level <> 'FULL' AND c.depth < 10000`;

/** Every per-version column of the file_version view (migration *_version_blocks), without the
 *  block_* arrays, which are the same for every version of a block and costly to carry per row. */
export const VERSION_ROW_COLUMNS =
  'fv.id, fv.block_id, fv.ord, fv.directory_id, fv.name_id, fv.content_id, fv.size, fv.mtime, fv.ctime, fv.inode, fv.run_num, fv.mode, fv.type, fv.deleted, fv.symlink_target, fv.mtime_nanos, fv.attrs, fv.uid, fv.gid';

/** The int surrogate file versions store for the run whose uuid is bound at `placeholder`. */
export function runNumOf(placeholder: string): string {
  return `(SELECT num FROM run WHERE id = ${placeholder}::uuid)`;
}

/** `WITH RECURSIVE chain AS (...)` for a point in time (no trailing comma). */
export function chainCte(asOf: AsOf, p: SqlParams): string {
  if ('runId' in asOf) {
    return `WITH RECURSIVE chain(id, num, level, base_run_id, head_at, depth) AS (
      SELECT r.id, r.num, r.level, r.base_run_id, COALESCE(r.finished_at, now()), 0 FROM run r WHERE r.id = ${p.add(asOf.runId)}::uuid
      ${CHAIN_STEP})`;
  }
  return `WITH RECURSIVE heads AS (
      SELECT DISTINCT ON (r.root) r.id, r.finished_at FROM run r
       WHERE r.host_id = ${p.add(asOf.hostId)} AND r.finished_at IS NOT NULL AND r.finished_at <= ${p.add(asOf.at)}
       ORDER BY r.root, r.finished_at DESC, r.id DESC),
    chain(id, num, level, base_run_id, head_at, depth) AS (
      SELECT r.id, r.num, r.level, r.base_run_id, h.finished_at, 0 FROM run r JOIN heads h ON h.id = r.id
      ${CHAIN_STEP})`;
}

/**
 * `WITH RECURSIVE chain AS (...)` for a run that is still being written by a resumed job: the run's
 * own (confirmed) versions at depth 0 over its base's chain. The head is entered as INCREMENTAL even
 * when the run is FULL, so the chain goes on to the base: a FULL run's versions alone would hide the
 * base, which the entries not confirmed yet must still be compared with.
 */
export function resumeChainCte(runId: string, p: SqlParams): string {
  return `WITH RECURSIVE chain(id, num, level, base_run_id, head_at, depth) AS (
      SELECT r.id, r.num, 'INCREMENTAL'::"RunLevel", r.base_run_id, now(), 0 FROM run r WHERE r.id = ${p.add(runId)}::uuid
      ${CHAIN_STEP})`;
}

/**
 * The winning version of every entry that `versionFilter` (a condition on `fv`) admits, over the
 * runs of `chain`: `SELECT <columns> FROM (...) state` where state has every file_version column
 * but the block arrays (deletion markers included: the caller drops them, or counts them).
 */
export function stateSubquery(versionFilter: string): string {
  return `(SELECT DISTINCT ON (fv.directory_id, fv.name_id) ${VERSION_ROW_COLUMNS}
             FROM chain c JOIN file_version fv ON fv.run_num = c.num
            WHERE ${versionFilter}
            ORDER BY fv.directory_id, fv.name_id, c.head_at DESC, c.depth ASC)`;
}
