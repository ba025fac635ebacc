// Hard links at restore: of the entries of one link group a restore brings back (the file a backup
// wrote and the others recorded with `hardLinkTo` naming it), the first one met brings the bytes;
// every other one waits, its bytes unread, and is made a hard link to it once it is in place
// (before directories get their times, since a link changes its directory). One entry of a group
// restored alone is a plain file. Pure bookkeeping: unit-tested.
import type { RestoreItem } from '@ferrite/proto';

export type LinkDecision = 'restore' | 'link' | 'skip';

export interface DeferredLink {
  item: RestoreItem;
  dest: string;
  /** The group: the source path of the file whose bytes were written. */
  group: string;
}

/** The group an entry belongs to, or null for an entry with one link. */
export function groupOf(item: Pick<RestoreItem, 'path' | 'linkCount' | 'hardLinkTo'>): string | null {
  if (item.hardLinkTo) return item.hardLinkTo;
  return item.linkCount > 1 ? item.path : null;
}

export class HardLinkGroups {
  /** Per group, where the entry bringing its bytes goes. */
  private readonly claimed = new Map<string, string>();
  /** Per group, where its bytes are once in place. */
  private readonly restored = new Map<string, string>();
  private readonly waiting = new Set<string>();
  readonly deferred: DeferredLink[] = [];

  /**
   * 'restore': this entry brings the group's bytes (or is in no group); 'link': it is to be linked
   * later (deferred); 'skip': a further piece (segment) of an entry already deferred.
   */
  decide(item: RestoreItem, dest: string): LinkDecision {
    const group = groupOf(item);
    if (group === null) return 'restore';
    if (this.waiting.has(dest)) return 'skip';
    const claimer = this.claimed.get(group);
    if (claimer === undefined) {
      this.claimed.set(group, dest);
      return 'restore';
    }
    if (claimer === dest) return 'restore';
    this.waiting.add(dest);
    this.deferred.push({ item, dest, group });
    return 'link';
  }

  /** The entry that brought the group's bytes is in place at `dest`. */
  restoredAt(item: RestoreItem, dest: string): void {
    const group = groupOf(item);
    if (group !== null && this.claimed.get(group) === dest) this.restored.set(group, dest);
  }

  /** Where the group's bytes are, or undefined when the entry bringing them was not restored. */
  targetOf(group: string): string | undefined {
    return this.restored.get(group);
  }
}
