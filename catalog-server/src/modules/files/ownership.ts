// File ownership as the catalog keeps it: each version's uid and gid in its block (version_block.uids
// and gids, int4) and the names of those numbers once per host (owner_name, filled at ingest). This
// file owns the rules between the agent's fields (FileRecord / RestoreItem uid, gid, owner, group)
// and the stored form: which values are refused, how an unsigned 32-bit number fits an int4, and
// what a version recorded without ownership gives back (nothing: the restoring agent keeps its own
// user). Pure: unit-tested without a database.
import type { FileRecord, RestoreItem } from '@ferrite/proto';

const UINT32_MAX = 4_294_967_295;
/** Longer names than any system allows (Linux: 32 bytes, most others less) are refused, not cut. */
export const OWNER_NAME_MAX_BYTES = 256;

/** What a version says of its owner; every field null for a version recorded without ownership. */
export interface VersionOwnership {
  uid: number | null;
  gid: number | null;
  /** The name of uid / gid on the source host; null when it had none there (or is unknown). */
  owner: string | null;
  group: string | null;
}

/** A uid or gid as the int4 the catalog stores: the same 32 bits (above 2^31-1, negative). */
export function storedOwnerNumber(n: number | undefined): number | null {
  return n === undefined ? null : n | 0;
}

/** A stored int4 back into the uid or gid it holds. */
export function ownerNumberOf(stored: number | null): number | null {
  return stored === null ? null : stored >>> 0;
}

function nameProblem(field: string, name: string): string | null {
  if (name.includes('\0')) return `${field} name contains a NUL character`;
  if (Buffer.byteLength(name) > OWNER_NAME_MAX_BYTES) return `${field} name is longer than ${OWNER_NAME_MAX_BYTES} bytes`;
  return null;
}

function numberProblem(field: string, n: number | undefined): string | null {
  if (n === undefined) return null;
  return Number.isInteger(n) && n >= 0 && n <= UINT32_MAX ? null : `${field} ${n} is not 0..${UINT32_MAX}`;
}

/** Why the record's ownership cannot be stored, or null. A name without its number is ignored. */
export function ownershipProblem(record: Pick<FileRecord, 'uid' | 'gid' | 'owner' | 'group'>): string | null {
  return (
    numberProblem('uid', record.uid) ??
    numberProblem('gid', record.gid) ??
    (record.owner ? nameProblem('owner', record.owner) : null) ??
    (record.group ? nameProblem('group', record.group) : null)
  );
}

/** The names a batch gives its numbers, per kind, as ingest upserts them into owner_name. */
export interface OwnerNames {
  kinds: Array<'USER' | 'GROUP'>;
  /** As stored (storedOwnerNumber). */
  numbers: number[];
  names: string[];
}

/** Gathers the names of a batch's numbers (the last record wins when one number has two). */
export class OwnerNameCollector {
  private readonly users = new Map<number, string>();
  private readonly groups = new Map<number, string>();

  add(record: Pick<FileRecord, 'uid' | 'gid' | 'owner' | 'group'>): void {
    const uid = storedOwnerNumber(record.uid);
    const gid = storedOwnerNumber(record.gid);
    if (record.owner && uid !== null) this.users.set(uid, record.owner);
    if (record.group && gid !== null) this.groups.set(gid, record.group);
  }

  /** In key order (kind, number), the order concurrent batches insert in so they cannot deadlock. */
  finish(): OwnerNames {
    const out: OwnerNames = { kinds: [], numbers: [], names: [] };
    for (const [kind, map] of [
      ['USER', this.users],
      ['GROUP', this.groups],
    ] as const) {
      for (const n of [...map.keys()].sort((a, b) => a - b)) {
        out.kinds.push(kind);
        out.numbers.push(n);
        out.names.push(map.get(n)!);
      }
    }
    return out;
  }
}

/** The RestoreItem fields of a version's ownership: none (undefined numbers, empty names) when the
 *  catalog does not know them, and the agent then leaves the restored entry to its own user. */
export function restoreOwnership(o: VersionOwnership): Pick<RestoreItem, 'uid' | 'gid' | 'owner' | 'group'> {
  return { uid: o.uid ?? undefined, gid: o.gid ?? undefined, owner: o.owner ?? '', group: o.group ?? '' };
}
