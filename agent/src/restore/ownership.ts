// Who a restored entry belongs to, and which mode bits it may keep. Only an agent running as root
// gives entries their recorded owner (by name where this host knows the name, else by number). An
// agent that is not root cannot, and then a setuid, setgid or sticky bit must not survive: a
// setuid-root program restored as the agent's user would run with that user's rights for anyone
// who can execute it, which is a local user handed someone else's account. The same holds as root
// when the owner is not known (the catalog does not send it): the entry stays root's, and a user's
// own setuid program would come back setuid root. Those bits are kept only with their owner;
// otherwise they are dropped and the job log says so.
import { lchown } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { RestoreItem } from '@ferrite/proto';
import type { OwnerNames } from '../backup/owner-names.js';

const SPECIAL_BITS = 0o7000;

/** Whether an entry may keep setuid/setgid/sticky: only when it gets its recorded owner too (as
 *  root, with the owner known). Pure. */
export function keepsSpecialBits(item: Pick<RestoreItem, 'uid' | 'gid'>, asRoot: boolean): boolean {
  return asRoot && item.uid !== undefined && item.gid !== undefined;
}

/** The mode to give an entry: its permission bits, and setuid/setgid/sticky only with `keepSpecial`. Pure. */
export function restoredMode(mode: number, keepSpecial: boolean): number {
  return mode & (keepSpecial ? 0o7777 : 0o0777);
}

/** Whether restoring `mode` without `keepSpecial` loses a bit. Pure. */
export function losesSpecialBits(mode: number, keepSpecial: boolean): boolean {
  return !keepSpecial && (mode & SPECIAL_BITS) !== 0;
}

/** The uid and gid to give the entry on this host, or null when the catalog does not know them. Pure. */
export function ownerOf(item: Pick<RestoreItem, 'uid' | 'gid' | 'owner' | 'group'>, names: OwnerNames): { uid: number; gid: number } | null {
  if (item.uid === undefined || item.gid === undefined) return null;
  return { uid: names.uidFor(item.uid, item.owner), gid: names.gidFor(item.gid, item.group) };
}

/** How a restore treats ownership: as root with this host's names, or not at all. */
export interface Ownership {
  asRoot: boolean;
  names: OwnerNames | null;
  /** Called for each entry that lost setuid/setgid/sticky bits (not root, or its owner unknown). */
  dropped: (path: string, mode: number) => void;
}

/**
 * Gives an opened entry its owner (as root) and then its mode: chown after chmod would clear the
 * setuid and setgid bits the mode just set.
 */
export async function applyOwnerAndMode(file: FileHandle, item: RestoreItem, how: Ownership): Promise<void> {
  const owner = how.asRoot && how.names ? ownerOf(item, how.names) : null;
  if (owner) await file.chown(owner.uid, owner.gid);
  const keepSpecial = keepsSpecialBits(item, how.asRoot);
  await file.chmod(restoredMode(item.mode, keepSpecial));
  if (losesSpecialBits(item.mode, keepSpecial)) how.dropped(item.path, item.mode);
}

/** The owner of an entry that cannot be opened (a symlink, a FIFO, a device), set without following it. */
export async function applyOwnerNoFollow(at: string, item: RestoreItem, how: Ownership): Promise<void> {
  const owner = how.asRoot && how.names ? ownerOf(item, how.names) : null;
  if (owner) await lchown(at, owner.uid, owner.gid);
}
