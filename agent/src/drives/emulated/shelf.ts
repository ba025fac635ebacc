// The shelf: where cartridges' contents live, and (when several emulated libraries share it, on one
// agent or on several agents of the same machine) which library holds each cartridge.
//
// Layout: <shelf>/cartridges/<barcode>/ (the CartridgeStore: cartridge.json, index.json, volume/), and
// for a shared shelf <shelf>/holders/<barcode>.json, the holder record { library: <library dir>,
// name, serial, since }, plus <shelf>/.shelf.lock. Without a configured shelf the library directory
// is its own private shelf and no holder records are kept (one library cannot race itself).
//
// Why holder records: a cartridge must never be in two libraries at once, since two agent processes
// would then write the same cartridge files. library.json stays the only truth of where a cartridge
// sits (tests and operators edit it by hand), so a holder record is only a claim that names the
// library to check: it counts while that library's library.json still lists the barcode (in a slot
// or a drive) and still uses this shelf. A record left behind by a crash, a hand edit that took the
// cartridge out, or a deleted library directory is therefore stale by itself and can be taken over;
// there is nothing to clean up and no heartbeat to trust.
//
// Claims are check-then-write, so they run under the shelf's lock file (cross-process, file-lock.ts).
// The operator tool changes library.json under the same shelf lock when it inserts or removes a
// cartridge, so nobody sees a half-done move. Lock order: shelf lock, then library.json's lock.
import { readdir, rm, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readJsonFile, writeJsonAtomic } from './atomic-file.js';
import { withFileLock } from './file-lock.js';
import { assertValidBarcode, listedBarcodes, readLibraryState } from './library-state.js';

/** A library as a holder record names it: its directory identifies it on this machine. */
export interface ShelfHolder {
  /** Absolute directory of the library (where its library.json is). */
  library: string;
  name: string;
  serial: string;
}

export interface HolderRecord extends ShelfHolder {
  since: string;
}

export class Shelf {
  readonly dir: string;

  /**
   * @param dir the shelf directory (the library directory itself for a private shelf)
   * @param shared whether other libraries may use it too (holder records are kept only then)
   */
  constructor(
    dir: string,
    readonly shared: boolean,
  ) {
    this.dir = resolve(dir);
  }

  cartridgesDir(): string {
    return join(this.dir, 'cartridges');
  }

  holderPath(barcode: string): string {
    assertValidBarcode(barcode);
    return join(this.dir, 'holders', `${barcode}.json`);
  }

  /** Barcodes whose contents are on the shelf (every cartridge the shelf has seen), sorted. */
  async barcodes(): Promise<string[]> {
    try {
      return (await readdir(this.cartridgesDir(), { withFileTypes: true }))
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .map((e) => e.name)
        .sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** The library that really holds `barcode` (its record is not stale), or null. Always null on a private shelf. */
  async holderOf(barcode: string): Promise<HolderRecord | null> {
    if (!this.shared) return null;
    const record = await readJsonFile<HolderRecord>(this.holderPath(barcode));
    if (!record) return null;
    const state = await readLibraryState(record.library);
    if (!state || !state.shelfDir || resolve(state.shelfDir) !== this.dir) return null;
    return listedBarcodes(state).includes(barcode) ? record : null;
  }

  /** The library other than `me` that holds `barcode`, or null (read only: no lock, no write). */
  async heldElsewhere(barcode: string, me: ShelfHolder): Promise<HolderRecord | null> {
    if (!this.shared) return null;
    const record = await readJsonFile<HolderRecord>(this.holderPath(barcode));
    if (!record || record.library === me.library) return null;
    return this.holderOf(barcode);
  }

  /**
   * Records that `me` holds `barcode`, unless another library holds it: then nothing is written and
   * that library's record is returned. Cheap when `me` already holds it (one read, no lock).
   */
  async claim(barcode: string, me: ShelfHolder): Promise<HolderRecord | null> {
    if (!this.shared) return null;
    const path = this.holderPath(barcode);
    if ((await readJsonFile<HolderRecord>(path))?.library === me.library) return null;
    return this.locked(async () => this.claimLocked(barcode, me));
  }

  /** claim() for a caller that already holds the shelf lock. */
  async claimLocked(barcode: string, me: ShelfHolder): Promise<HolderRecord | null> {
    if (!this.shared) return null;
    const other = await this.heldElsewhere(barcode, me);
    if (other) return other;
    const path = this.holderPath(barcode);
    if ((await readJsonFile<HolderRecord>(path))?.library !== me.library) {
      await mkdir(join(this.dir, 'holders'), { recursive: true });
      const record: HolderRecord = { library: me.library, name: me.name, serial: me.serial, since: new Date().toISOString() };
      await writeJsonAtomic(path, record);
    }
    return null;
  }

  /** Drops `me`'s record of `barcode` (the cartridge left the library); caller holds the shelf lock. */
  async releaseLocked(barcode: string, me: ShelfHolder): Promise<void> {
    if (!this.shared) return;
    const path = this.holderPath(barcode);
    if ((await readJsonFile<HolderRecord>(path))?.library === me.library) await rm(path, { force: true });
  }

  /** Runs `fn` under the shelf's cross-process lock (directly on a private shelf: nobody else uses it). */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.shared) return fn();
    await mkdir(this.dir, { recursive: true });
    return withFileLock(join(this.dir, '.shelf.lock'), fn);
  }
}

export function describeHolder(holder: HolderRecord): string {
  return `library ${holder.name} (${holder.library})`;
}
