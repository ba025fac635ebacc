// LTO generations as the catalog needs them: native capacity (for tapes registered by hand, before
// any agent has read them), barcode media suffixes, cleaning cartridges. The agent keeps its own,
// richer table: the two share only the protocol.
const TB = 1e12;

const CAPACITY: Record<number, number> = {
  1: 0.1 * TB,
  2: 0.2 * TB,
  3: 0.4 * TB,
  4: 0.8 * TB,
  5: 1.5 * TB,
  6: 2.5 * TB,
  7: 6 * TB,
  8: 12 * TB,
  9: 18 * TB,
  10: 30 * TB,
};

const SUFFIX_GENERATION: Record<string, number> = {
  L1: 1, L2: 2, L3: 3, L4: 4, L5: 5, L6: 6, L7: 7, L8: 8, L9: 9, LA: 10,
  // WORM media
  LV: 5, LW: 6, LX: 7, LY: 8, LZ: 9,
  // LTO-7 media initialised as Type M (LTO-8 drives only)
  M8: 8,
};

export const MIN_TAPE_GENERATION = 1;
export const MAX_TAPE_GENERATION = 10;

export function nativeCapacityBytes(generation: number): number | null {
  return CAPACITY[generation] ?? null;
}

/** 'FER001L9' -> 9; null when the barcode carries no known media suffix. */
export function generationFromBarcode(barcode: string): number | null {
  return SUFFIX_GENERATION[barcode.trim().toUpperCase().slice(-2)] ?? null;
}

export function isCleaningBarcode(barcode: string): boolean {
  return barcode.toUpperCase().startsWith('CLN');
}

/** Barcode labels are upper-case letters and digits (VOLSER + media id), 2..16 of them. */
export function isValidBarcode(barcode: string): boolean {
  return /^[A-Z0-9]{2,16}$/.test(barcode);
}
