// Which extended attributes a backup records, and how many bytes of them per entry. user.* always;
// trusted.* and security.* only when the agent runs as root (others cannot read trusted.* at all,
// and could not give either back); POSIX ACLs (system.posix_acl_access / _default) always. Other
// system.* attributes (NFSv4 ACLs, ...) are views the kernel computes, not data to restore.
// Pure: unit-tested.
import type { ExtendedAttribute } from '@ferrite/proto';

/** Per entry, names and values together: the catalog refuses more (its own limit is the same). */
export const XATTR_BYTES_PER_ENTRY = 64 * 1024;

export function isRecorded(name: string, asRoot: boolean): boolean {
  if (name.startsWith('user.')) return true;
  if (name === 'system.posix_acl_access' || name === 'system.posix_acl_default') return true;
  return asRoot && (name.startsWith('trusted.') || name.startsWith('security.'));
}

/** What is kept of an entry's attributes, or why none is (over the limit: the entry is recorded
 *  without them, and the job log says so; recording half of them would restore a state that never was). */
export function selectXattrs(all: readonly ExtendedAttribute[], asRoot: boolean): { xattrs: ExtendedAttribute[]; problem?: string } {
  const xattrs = all.filter((x) => isRecorded(x.name, asRoot));
  const bytes = xattrs.reduce((n, x) => n + Buffer.byteLength(x.name) + x.value.length, 0);
  if (bytes > XATTR_BYTES_PER_ENTRY)
    return { xattrs: [], problem: `its extended attributes take ${bytes} bytes, over the limit of ${XATTR_BYTES_PER_ENTRY}; recorded without them` };
  return { xattrs };
}
