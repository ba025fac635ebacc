// The attributes of a version beyond size, times and mode, as the catalog keeps them: one JSON text
// per version (version_block.attrs, NULL for a version without any), so a new attribute needs no
// new column and a plain file costs nothing. This file owns the JSON's fields, checks what an agent
// sends before it is stored, and reads it back. Pure: unit-tested without a database.
//
//   { "xattrs": [[name, base64 value], ...],   extended attributes and POSIX ACLs, in the agent's order
//     "linkCount": n,                          st_nlink of a file with more than one name
//     "hardLinkTo": path,                      the file of the same backup (same run) it is a hard link of
//     "dataMap": [[offset, length], ...],      a sparse file: the extents holding data (the rest: holes)
//     "rdev": [major, minor],                  a character or block device: its numbers
//     "changed": true }                        the file changed while the backup read it
// Every field is absent when it says nothing (no attributes, one link, the first of its links, not
// changed), so the catalog grows only for the versions that have one.
import { FileType as ProtoFileType, type DataExtent, type ExtendedAttribute, type FileRecord } from '@ferrite/proto';
import { dataMapProblem } from './data-map.js';
import { pathProblem } from './paths.js';

/** What the agent may record of one entry: the kernel's own limits are 255-byte names and 64 KiB
 *  values, and the agent keeps at most 64 KiB per entry (names and values together). */
export const XATTR_LIMITS = { nameBytes: 255, totalBytes: 64 * 1024 } as const;

/** Namespaces the catalog takes: the ones the agent records (system.* only as POSIX ACLs). */
const ALLOWED = /^(user|trusted|security)\.[^\0]+$|^system\.posix_acl_(access|default)$/;

export interface VersionAttributes {
  xattrs: Array<{ name: string; value: Buffer }>;
  /** Names the file had (st_nlink) when more than one; 0 otherwise. */
  linkCount: number;
  /** Path of the file of the same run whose content this one shares as its hard link; '' for none. */
  hardLinkTo: string;
  /** A sparse file's data extents; empty for a file without holes. */
  dataMap: DataExtent[];
  /** A character or block device's numbers; null for anything else. */
  device: { major: number; minor: number } | null;
  /** The file changed while the backup read it (FileRecord.changed_during_backup): its bytes may
   *  mix the file's states. */
  changedDuringBackup: boolean;
}

export const NO_ATTRIBUTES: VersionAttributes = { xattrs: [], linkCount: 0, hardLinkTo: '', dataMap: [], device: null, changedDuringBackup: false };

/** The fields of a record this file stores (older agents send none of them). */
type AttributeFields = Partial<
  Pick<FileRecord, 'xattrs' | 'linkCount' | 'hardLinkTo' | 'path' | 'type' | 'dataMap' | 'size' | 'rdevMajor' | 'rdevMinor' | 'changedDuringBackup'>
>;

function isDevice(type: ProtoFileType | undefined): boolean {
  return type === ProtoFileType.FILE_TYPE_CHAR_DEVICE || type === ProtoFileType.FILE_TYPE_BLOCK_DEVICE;
}

const UINT32_MAX = 4_294_967_295;

/** Why the record's attributes cannot be stored, or null. */
export function attributesProblem(record: AttributeFields): string | null {
  const linkCount = record.linkCount ?? 0;
  if (!Number.isInteger(linkCount) || linkCount < 0 || linkCount > UINT32_MAX) return `link_count ${String(linkCount)} is out of range`;
  if (record.hardLinkTo) {
    const problem = pathProblem(record.hardLinkTo);
    if (problem) return `hard_link_to: ${problem}`;
    if (record.hardLinkTo === record.path) return 'hard_link_to names the entry itself';
    if (linkCount < 2) return 'hard_link_to is set on a file with fewer than 2 links';
  }
  const rdev = [record.rdevMajor ?? 0, record.rdevMinor ?? 0];
  if (rdev.some((n) => !Number.isInteger(n) || n < 0 || n > UINT32_MAX)) return `device numbers ${rdev.join(':')} are out of range`;
  if (!isDevice(record.type) && (rdev[0] || rdev[1])) return 'device numbers are set on an entry that is not a device';
  if (record.dataMap?.length) {
    const problem = dataMapProblem(record.dataMap, record.size ?? 0);
    if (problem) return `data_map: ${problem}`;
  }
  return xattrsProblem(record.xattrs ?? []);
}

function xattrsProblem(xattrs: readonly ExtendedAttribute[]): string | null {
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
export function encodeAttributes(record: AttributeFields): string | null {
  const xattrs = record.xattrs ?? [];
  const o: Record<string, unknown> = {};
  if (xattrs.length) o.xattrs = xattrs.map((x) => [x.name, Buffer.from(x.value).toString('base64')]);
  if ((record.linkCount ?? 0) > 1) o.linkCount = record.linkCount;
  if (record.hardLinkTo) o.hardLinkTo = record.hardLinkTo;
  if (record.dataMap?.length) o.dataMap = record.dataMap.map((e) => [e.offset, e.length]);
  if (isDevice(record.type)) o.rdev = [record.rdevMajor ?? 0, record.rdevMinor ?? 0];
  if (record.changedDuringBackup) o.changed = true;
  return Object.keys(o).length ? JSON.stringify(o) : null;
}

/** A stored text back into attributes; NULL (most versions) is none. */
export function decodeAttributes(text: string | null | undefined): VersionAttributes {
  if (!text) return NO_ATTRIBUTES;
  const o = JSON.parse(text) as {
    xattrs?: Array<[string, string]>;
    linkCount?: number;
    hardLinkTo?: string;
    dataMap?: Array<[number, number]>;
    rdev?: [number, number];
    changed?: boolean;
  };
  return {
    xattrs: (o.xattrs ?? []).map(([name, value]) => ({ name, value: Buffer.from(value, 'base64') })),
    linkCount: o.linkCount ?? 0,
    hardLinkTo: o.hardLinkTo ?? '',
    dataMap: (o.dataMap ?? []).map(([offset, length]) => ({ offset, length })),
    device: o.rdev ? { major: o.rdev[0], minor: o.rdev[1] } : null,
    changedDuringBackup: o.changed === true,
  };
}

/** As the protocol carries them (restore plans). */
export function toProtoXattrs(a: VersionAttributes): ExtendedAttribute[] {
  return a.xattrs.map((x) => ({ name: x.name, value: x.value }));
}
