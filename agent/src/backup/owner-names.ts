// User and group names of this host, by number and by name, read once per job: a backup records
// each entry's owner and group by number and name; a restore (as root) gives an entry the owner of
// that name where the name exists here, else the number (uids differ between hosts; names are what
// people mean). `getent` answers through NSS (LDAP, sssd, files), read once whole; where it is
// missing, /etc/passwd and /etc/group. Nothing here goes to the network more than those two calls.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { SourceEntry } from './source-scan.js';

export interface NameTable {
  byId: Map<number, string>;
  byName: Map<string, number>;
}

/** Parses passwd(5) or group(5) lines (name:x:id:...). Pure: unit-tested. The first of two entries for one id or name wins, as NSS answers. */
export function parseNameTable(text: string): NameTable {
  const byId = new Map<number, string>();
  const byName = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [name, , id] = line.split(':');
    const n = Number(id);
    if (!name || id === undefined || id === '' || !Number.isInteger(n) || n < 0) continue;
    if (!byId.has(n)) byId.set(n, name);
    if (!byName.has(name)) byName.set(name, n);
  }
  return { byId, byName };
}

function getent(db: 'passwd' | 'group'): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('getent', [db], { maxBuffer: 256 * 1024 * 1024 }, (err, out) => (err ? reject(new Error(err.message)) : resolve(out)));
  });
}

async function table(db: 'passwd' | 'group'): Promise<NameTable> {
  const text = await getent(db).catch(() => readFile(`/etc/${db}`, 'utf8').catch(() => ''));
  return parseNameTable(text);
}

export class OwnerNames {
  private constructor(
    readonly users: NameTable,
    readonly groups: NameTable,
  ) {}

  static async load(): Promise<OwnerNames> {
    const [users, groups] = await Promise.all([table('passwd'), table('group')]);
    return new OwnerNames(users, groups);
  }

  static of(users: NameTable, groups: NameTable): OwnerNames {
    return new OwnerNames(users, groups);
  }

  userName(uid: number): string {
    return this.users.byId.get(uid) ?? '';
  }

  groupName(gid: number): string {
    return this.groups.byId.get(gid) ?? '';
  }

  /** The uid to give an entry recorded with `uid` and `name` on its source host: by name when this host knows the name. */
  uidFor(uid: number, name: string): number {
    const byName = name ? this.users.byName.get(name) : undefined;
    return byName ?? uid;
  }

  gidFor(gid: number, name: string): number {
    const byName = name ? this.groups.byName.get(name) : undefined;
    return byName ?? gid;
  }
}

/** Names the owner and group of each entry a backup records, from one lookup of this host's tables. */
export async function attachOwnerNames(entries: SourceEntry[]): Promise<void> {
  const names = await OwnerNames.load();
  for (const e of entries) {
    e.owner = names.userName(e.uid);
    e.group = names.groupName(e.gid);
  }
}
