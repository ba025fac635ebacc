// A catalog entry as one backup run saw it, for GraphQL.
import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { FileType } from '../graphql-enums.js';
import type { FileVersionRow, PlacementRow } from '../file-search.repository.js';
import { joinPath } from '../paths.js';
import { ExtendedAttributeModel, FileAclModel, toAclModel, toXattrModels } from './extended-attribute.model.js';
import { dataBytes } from '../data-map.js';
import { DeviceNumbersModel } from './device-numbers.model.js';
import { PlacementModel, toPlacementModel } from './placement.model.js';

@ObjectType('FileVersion', { description: 'One version of a file, directory or symlink, as one backup run archived it.' })
export class FileVersionModel {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Source host (the agent that backed it up).' })
  host!: string;

  @Field(() => String, { description: 'Full original absolute path on the host.' })
  path!: string;

  @Field(() => String, { description: 'Last path component ("" for the root directory).' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Path of the parent directory; null for the root.' })
  directory!: string | null;

  @Field(() => FileType)
  type!: FileType;

  @Field(() => Float, { description: 'Size in bytes (Float: exact up to 2^53 bytes).' })
  size!: number;

  @Field(() => Date, { description: 'Modification time to the millisecond (floored); mtimeNs has it to the nanosecond.' })
  mtime!: Date;

  @Field(() => String, {
    description:
      'Modification time in nanoseconds since the epoch, as a decimal string: exact, as the source file system had it (versions recorded before Ferrite kept nanoseconds: their millisecond, rounded).',
  })
  mtimeNs!: string;

  @Field(() => Int, { description: 'POSIX mode bits as stat reports them.' })
  mode!: number;

  @Field(() => Float, {
    nullable: true,
    description:
      'Numeric owner (uid) on the source host (Float: uids run to 2^32-1, past GraphQL Int). Null for a version recorded before the catalog kept ownership: a restore of it leaves the restoring user as owner.',
  })
  uid!: number | null;

  @Field(() => Float, { nullable: true, description: 'Numeric group (gid) on the source host; null as for uid.' })
  gid!: number | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Name of the owner on the source host, as its latest backup resolved it; null when the uid had no name there (or ownership is unknown). A restore as root gives the entry this user where the target host knows the name, else the uid.',
  })
  owner!: string | null;

  @Field(() => String, { nullable: true, description: 'Name of the group on the source host; null as for owner. Restored like owner, by name, else by gid.' })
  group!: string | null;

  @Field(() => String, { nullable: true, description: 'SHA-256 of the content, lowercase hex; null for directories and symlinks.' })
  sha256!: string | null;

  @Field(() => String, { nullable: true })
  symlinkTarget!: string | null;

  @Field(() => [ExtendedAttributeModel], {
    description: 'Extended attributes (user.*, trusted.*, security.*) and POSIX ACLs as recorded; empty when it had none.',
  })
  xattrs!: ExtendedAttributeModel[];

  @Field(() => Int, { description: 'How many names (hard links) the file had on its host: 1 for a file with one, or anything that is not a file.' })
  linkCount!: number;

  @Field(() => String, {
    nullable: true,
    description:
      'Path of the file of the same backup run this one is a hard link of (its bytes are on tape once, under that file); null for the first of its links and for everything else. Restored together, the two are linked again.',
  })
  hardLinkTo!: string | null;

  @Field(() => Boolean, { description: 'A sparse file: its holes were not stored on tape, and a restore leaves them holes.' })
  sparse!: boolean;

  @Field(() => Float, { nullable: true, description: 'Of a sparse file, the bytes of its data extents (what is on tape); null for any other entry.' })
  dataBytes!: number | null;

  @Field(() => DeviceNumbersModel, { nullable: true, description: 'Of a character or block device, its major and minor numbers; null for anything else.' })
  device!: DeviceNumbersModel | null;

  @Field(() => FileAclModel, { nullable: true, description: 'Its POSIX ACLs, readable; null when it had none beyond its mode.' })
  acl!: FileAclModel | null;

  @Field(() => ID)
  runId!: string;

  @Field(() => ID)
  jobId!: string;

  @Field(() => Date, { description: 'When the backup run that archived this version started (all versions of a run share it).' })
  archivedAt!: Date;

  @Field(() => Boolean, {
    description:
      'The file changed while the backup read it (or between its scan and its read): its bytes on tape are what was read, which may mix its states. See the backup option onChange.',
  })
  changedDuringBackup!: boolean;

  @Field(() => Boolean, { description: 'True for a marker that records the entry was deleted on the host.' })
  deleted!: boolean;

  @Field(() => [PlacementModel], { description: 'Every tape position holding this content (all copies, all segments).' })
  placements!: PlacementModel[];
}

export function toFileVersionModel(row: FileVersionRow, placements: readonly PlacementRow[]): FileVersionModel {
  return {
    id: row.id,
    host: row.host,
    path: joinPath(row.dirPath, row.name),
    name: row.name,
    directory: row.name === '' ? null : row.dirPath,
    type: row.type,
    size: row.size,
    mtime: row.mtime,
    mtimeNs: (BigInt(row.mtime.getTime()) * 1_000_000n + BigInt(row.mtimeNanos ?? 0)).toString(),
    mode: row.mode,
    uid: row.ownership.uid,
    gid: row.ownership.gid,
    owner: row.ownership.owner,
    group: row.ownership.group,
    sha256: row.sha256 ? row.sha256.toString('hex') : null,
    symlinkTarget: row.symlinkTarget,
    xattrs: toXattrModels(row.attributes),
    acl: toAclModel(row.attributes),
    linkCount: Math.max(row.attributes.linkCount, 1),
    hardLinkTo: row.attributes.hardLinkTo || null,
    device: row.attributes.device,
    sparse: row.attributes.dataMap.length > 0,
    dataBytes: row.attributes.dataMap.length ? dataBytes(row.attributes.dataMap) : null,
    runId: row.runId,
    jobId: row.jobId,
    archivedAt: row.archivedAt,
    changedDuringBackup: row.attributes.changedDuringBackup,
    deleted: row.deleted,
    placements: placements.map(toPlacementModel),
  };
}
