// POSIX ACLs as Linux stores them in system.posix_acl_access / system.posix_acl_default (a 4-byte
// version, 2, then 8 bytes per entry: tag, permissions, id, little-endian), turned into the text
// getfacl prints, with numeric ids (the catalog does not know the source host's user names).
// Pure: unit-tested.

const TAGS: Record<number, string> = { 0x01: 'user', 0x02: 'user', 0x04: 'group', 0x08: 'group', 0x10: 'mask', 0x20: 'other' };
/** Tags that name a user or group by id; the others (owner, owning group, mask, other) do not. */
const NAMED = new Set([0x02, 0x08]);

/** The ACL as getfacl's entries ("user::rw-", "user:1000:r--", ...), or null when the bytes are not an ACL. */
export function aclEntries(value: Buffer): string[] | null {
  if (value.length < 4 || (value.length - 4) % 8 !== 0 || value.readUInt32LE(0) !== 2) return null;
  const out: string[] = [];
  for (let at = 4; at < value.length; at += 8) {
    const tag = value.readUInt16LE(at);
    const perm = value.readUInt16LE(at + 2);
    const id = value.readUInt32LE(at + 4);
    const kind = TAGS[tag];
    if (!kind) return null;
    const rwx = `${perm & 4 ? 'r' : '-'}${perm & 2 ? 'w' : '-'}${perm & 1 ? 'x' : '-'}`;
    out.push(`${kind}:${NAMED.has(tag) ? id : ''}:${rwx}`);
  }
  return out;
}
