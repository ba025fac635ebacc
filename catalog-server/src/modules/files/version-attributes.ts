// The attributes of a version beyond size, times and mode, as the catalog keeps them: one JSON text
// per version (version_block.attrs, NULL for a version without any), so a new attribute needs no
// new column and a plain file costs nothing. This file owns the JSON's fields, checks what an agent
// sends before it is stored, and reads it back. Pure: unit-tested without a database.
//
//   { "xattrs": [[name, base64 value], ...] }   extended attributes and POSIX ACLs, in the agent's order
import type { ExtendedAttribute } from '@ferrite/proto';

/** What the agent may record of one entry: the kernel's own limits are 255-byte names and 64 KiB
 *  values, and the agent keeps at most 64 KiB per entry (names and values together). */
export const XATTR_LIMITS = { nameBytes: 255, totalBytes: 64 * 1024 } as const;

/** Namespaces the catalog takes: the ones the agent records (system.* only as POSIX ACLs). */
const ALLOWED = /^(user|trusted|security)\.[^\0]+$|^system\.posix_acl_(access|default)$/;

export interface VersionAttributes {
  xattrs: Array<{ name: string; value: Buffer }>;
}

export const NO_ATTRIBUTES: VersionAttributes = { xattrs: [] };

/** Why the record's attributes cannot be stored, or null. */
export function attributesProblem(record: { xattrs?: readonly ExtendedAttribute[] }): string | null {
  const xattrs = record.xattrs ?? [];
  let total = 0;
  const seen = new Set<string>();
  for (const x of xattrs) {
    if (typeof x.name !== 'string' || !ALLOWED.test(x.name))
      return `extended attribute ${JSON.stringify(x.name)} is not in the user, trusted or security namespace nor a POSIX ACL`;
    const nameBytes = Buffer.byteLength(x.name);
    if (nameBytes > XATTR_LIMITS.nameBytes) return `extended attribute name ${JSON.stringify(x.name.slice(0, 40))}... is longer than 255 bytes`;
    if (!(x.value instanceof Uint8Array)) return `extended attribute ${x.name} has no bytes as its value`;
    if (seen.has(x.name)) return `extended attribute ${x.name} is named twice`;
    seen.add(x.name);
    total += nameBytes + x.value.length;
  }
  if (total > XATTR_LIMITS.totalBytes) return `extended attributes take ${total} bytes, more than ${XATTR_LIMITS.totalBytes}`;
  return null;
}

/** The JSON text to store (call attributesProblem first), or null for a record with no attributes. */
export function encodeAttributes(record: { xattrs?: readonly ExtendedAttribute[] }): string | null {
  const xattrs = record.xattrs ?? [];
  if (xattrs.length === 0) return null;
  return JSON.stringify({ xattrs: xattrs.map((x) => [x.name, Buffer.from(x.value).toString('base64')]) });
}

/** A stored text back into attributes; NULL (most versions) is none. */
export function decodeAttributes(text: string | null | undefined): VersionAttributes {
  if (!text) return NO_ATTRIBUTES;
  const o = JSON.parse(text) as { xattrs?: Array<[string, string]> };
  return { xattrs: (o.xattrs ?? []).map(([name, value]) => ({ name, value: Buffer.from(value, 'base64') })) };
}

/** As the protocol carries them (restore plans). */
export function toProtoXattrs(a: VersionAttributes): ExtendedAttribute[] {
  return a.xattrs.map((x) => ({ name: x.name, value: x.value }));
}
