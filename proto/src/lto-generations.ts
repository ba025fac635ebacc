// One table of LTO generations (5..10): capacities, rates, mechanical timings, barcode suffixes and
// which media each drive generation can read and write. It lives in the protocol package, the only
// code the agent and the catalog server share, so both backends, the emulator and the server's
// planning read the same figures and a figure is corrected in one place.
//
// Capacities and native rates are the LTO Consortium's published native (uncompressed) figures.
// Speed-matching floors and load/unload/locate times vary by vendor and firmware: only LTO-9's
// (177 MB/s; load 17 s, unload 30 s, average locate 45 s) come from the design; the others are
// plausible approximations from vendor data sheets, good enough for the emulator's delays.
// The LTO-10 barcode suffix 'LA' follows the Lx pattern past L9 and has not been checked against a
// published LTO-10 label specification.

export interface LtoGeneration {
  generation: number;
  nativeCapacityBytes: number;
  /** Native (uncompressed) streaming rate, MB/s (10^6 bytes). */
  nativeRateMBps: number;
  /** Lowest speed-matching rate: fed slower than this, the drive stops and repositions. */
  speedMatchingFloorMBps: number;
  loadSeconds: number;
  unloadSeconds: number;
  averageLocateSeconds: number;
  /** Media-type suffix of a data cartridge's barcode (the last two characters). */
  barcodeSuffix: string;
  /** WORM media suffix, where the generation has WORM media. */
  wormBarcodeSuffix: string | null;
  /** Cartridge generations this drive generation can read / write. */
  readsGenerations: readonly number[];
  writesGenerations: readonly number[];
}

const TB = 1e12;

export const LTO_GENERATIONS: readonly LtoGeneration[] = [
  gen(5, 1.5 * TB, 140, 40, 12, 17, 60, 'L5', 'LV', [3, 4, 5], [4, 5]),
  gen(6, 2.5 * TB, 160, 40, 12, 17, 50, 'L6', 'LW', [4, 5, 6], [5, 6]),
  gen(7, 6 * TB, 300, 100, 15, 17, 60, 'L7', 'LX', [5, 6, 7], [6, 7]),
  gen(8, 12 * TB, 360, 112, 15, 20, 60, 'L8', 'LY', [7, 8], [7, 8]),
  gen(9, 18 * TB, 400, 177, 17, 30, 45, 'L9', 'LZ', [8, 9], [8, 9]),
  // LTO-10 drives read and write only LTO-10 media.
  gen(10, 30 * TB, 400, 177, 20, 30, 50, 'LA', null, [10], [10]),
];

export const MIN_GENERATION = 5;
export const MAX_GENERATION = 10;

/** The table row for a generation; throws RangeError for generations outside 5..10. */
export function ltoGeneration(generation: number): LtoGeneration {
  const row = LTO_GENERATIONS.find((g) => g.generation === generation);
  if (!row) {
    throw new RangeError(`unsupported LTO generation ${generation} (supported: ${MIN_GENERATION}..${MAX_GENERATION})`);
  }
  return row;
}

/** Cleaning cartridges carry the CLN prefix (e.g. CLN001L1, CLN002CU). */
export function isCleaningBarcode(barcode: string): boolean {
  return barcode.toUpperCase().startsWith('CLN');
}

/** WORM cartridges carry their generation's WORM media suffix (e.g. LZ for LTO-9 WORM). */
export function isWormBarcode(barcode: string): boolean {
  const suffix = barcode.trim().toUpperCase().slice(-2);
  return LTO_GENERATIONS.some((g) => g.wormBarcodeSuffix === suffix);
}

/**
 * The media generation a barcode's two-character suffix names ('FER001L9' -> 9, 'ABC123LZ' -> 9,
 * 'CLN001L1' -> 1), or null when the barcode carries no known suffix.
 */
export function generationFromBarcode(barcode: string): number | null {
  const suffix = barcode.trim().toUpperCase().slice(-2);
  if (suffix.length !== 2) return null;
  const row = LTO_GENERATIONS.find((g) => g.barcodeSuffix === suffix || g.wormBarcodeSuffix === suffix);
  if (row) return row.generation;
  // Generations before the table (L1..L4 data cartridges, and the L1 of universal cleaning labels).
  const m = /^L([1-4])$/.exec(suffix);
  return m ? Number(m[1]) : null;
}

/** Whether a drive of `driveGeneration` can read a cartridge of `mediaGeneration`. */
export function canRead(driveGeneration: number, mediaGeneration: number): boolean {
  return ltoGeneration(driveGeneration).readsGenerations.includes(mediaGeneration);
}

/** Whether a drive of `driveGeneration` can write (and format) a cartridge of `mediaGeneration`. */
export function canWrite(driveGeneration: number, mediaGeneration: number): boolean {
  return ltoGeneration(driveGeneration).writesGenerations.includes(mediaGeneration);
}

function gen(
  generation: number,
  nativeCapacityBytes: number,
  nativeRateMBps: number,
  speedMatchingFloorMBps: number,
  loadSeconds: number,
  unloadSeconds: number,
  averageLocateSeconds: number,
  barcodeSuffix: string,
  wormBarcodeSuffix: string | null,
  readsGenerations: number[],
  writesGenerations: number[],
): LtoGeneration {
  return {
    generation,
    nativeCapacityBytes,
    nativeRateMBps,
    speedMatchingFloorMBps,
    loadSeconds,
    unloadSeconds,
    averageLocateSeconds,
    barcodeSuffix,
    wormBarcodeSuffix,
    readsGenerations,
    writesGenerations,
  };
}
