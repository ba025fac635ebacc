// Per-cartridge state on disk, under the shelf directory (the library directory unless a shared
// shelfDir is configured, see shelf.ts): cartridges/<barcode>/cartridge.json (what the cartridge memory and the
// medium know: generation, capacity, protection tab, format, next free blocks, dirty flag),
// cartridges/<barcode>/index.json (the last LTFS index written to the tape) and
// cartridges/<barcode>/volume/ (the files of the LTFS volume).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FilePosition } from '../drive.js';
import { generationFromBarcode, isCleaningBarcode, isWormBarcode, LTO_GENERATIONS } from '../generations.js';
import { readJsonFile, writeJsonAtomic } from './atomic-file.js';
import { assertValidBarcode } from './library-state.js';

export interface BlockPointers {
  a: number;
  b: number;
}

export interface CartridgeState {
  format: 1;
  barcode: string;
  /** Media generation (from the barcode suffix; the library's generation when it has none). */
  generation: number;
  cleaning: boolean;
  /** Write Once Read Many media (WORM barcode suffix, e.g. LZ): formatted once, never erased. */
  worm?: boolean;
  capacityBytes: number;
  writeProtected: boolean;
  formatted: boolean;
  volumeUuid: string | null;
  volumeName: string | null;
  formattedAt: string | null;
  /** Next free block per partition, as of the last index written (or live while mounted elsewhere). */
  nextBlock: BlockPointers;
  dirty: boolean;
  indexGeneration: number;
}

/** The persisted LTFS-like index: what a mount (or a recovery) trusts. */
export interface VolumeIndex {
  format: 1;
  volumeUuid: string;
  generation: number;
  writtenAt: string;
  nextBlock: BlockPointers;
  files: Record<string, FilePosition>;
}

export interface CartridgeDefaults {
  libraryGeneration: number;
  /** Capacity for every new cartridge; when undefined, the media generation's native capacity. */
  capacityBytes: number | undefined;
}

export class CartridgeStore {
  constructor(
    /** The shelf directory: cartridges live in its cartridges/ sub-directory. */
    readonly dir: string,
    private readonly defaults: CartridgeDefaults,
  ) {}

  cartridgeDir(barcode: string): string {
    assertValidBarcode(barcode);
    return join(this.dir, 'cartridges', barcode);
  }

  volumeDir(barcode: string): string {
    return join(this.cartridgeDir(barcode), 'volume');
  }

  /** Reads a cartridge's state, creating a blank (unformatted) cartridge the first time a barcode is seen. */
  async read(barcode: string): Promise<CartridgeState> {
    const existing = await readJsonFile<CartridgeState>(join(this.cartridgeDir(barcode), 'cartridge.json'));
    if (existing) return existing;
    const blank = this.blank(barcode);
    await this.write(blank);
    return blank;
  }

  async write(state: CartridgeState): Promise<void> {
    const dir = this.cartridgeDir(state.barcode);
    await mkdir(join(dir, 'volume'), { recursive: true });
    await writeJsonAtomic(join(dir, 'cartridge.json'), state);
  }

  /** Read-modify-write; callers hold the library mutex. */
  async update(barcode: string, change: (state: CartridgeState) => void): Promise<CartridgeState> {
    const state = await this.read(barcode);
    change(state);
    await this.write(state);
    return state;
  }

  async readIndex(barcode: string): Promise<VolumeIndex | null> {
    return readJsonFile<VolumeIndex>(join(this.cartridgeDir(barcode), 'index.json'));
  }

  async writeIndex(barcode: string, index: VolumeIndex): Promise<void> {
    await writeJsonAtomic(join(this.cartridgeDir(barcode), 'index.json'), index);
  }

  private blank(barcode: string): CartridgeState {
    const cleaning = isCleaningBarcode(barcode);
    const fromBarcode = generationFromBarcode(barcode);
    const generation = fromBarcode ?? this.defaults.libraryGeneration;
    const native = LTO_GENERATIONS.find((g) => g.generation === generation)?.nativeCapacityBytes ?? 0;
    return {
      format: 1,
      barcode,
      generation,
      cleaning,
      worm: isWormBarcode(barcode),
      capacityBytes: cleaning ? 0 : (this.defaults.capacityBytes ?? native),
      writeProtected: false,
      formatted: false,
      volumeUuid: null,
      volumeName: null,
      formattedAt: null,
      nextBlock: { a: 0, b: 0 },
      dirty: false,
      indexGeneration: 0,
    };
  }
}
