// LTO generations as the catalog needs them: native capacity (for tapes registered by hand, before
// any agent has read them), barcode media suffixes, cleaning and WORM cartridges, and which drive can
// read or write which cartridge (for planning). Generations 5..10 come from the one table in
// @ferrite/proto that the agent's backends use too; only older media and LTO-7 Type M are added here.
import {
  canRead as tableCanRead,
  canWrite as tableCanWrite,
  generationFromBarcode as tableGenerationFromBarcode,
  isCleaningBarcode,
  isWormBarcode,
  LTO_GENERATIONS,
} from '@ferrite/proto';

export { isCleaningBarcode, isWormBarcode };

const TB = 1e12;

/** Media older than the table: registered by hand from old archives, read by nothing Ferrite drives. */
const LEGACY_CAPACITY: Record<number, number> = { 1: 0.1 * TB, 2: 0.2 * TB, 3: 0.4 * TB, 4: 0.8 * TB };

export const MIN_TAPE_GENERATION = 1;
export const MAX_TAPE_GENERATION = 10;

export function nativeCapacityBytes(generation: number): number | null {
  return LTO_GENERATIONS.find((g) => g.generation === generation)?.nativeCapacityBytes ?? LEGACY_CAPACITY[generation] ?? null;
}

/** 'FER001L9' -> 9 (LZ, the LTO-9 WORM suffix, too; M8 is LTO-7 media initialised as Type M for LTO-8 drives); null when unknown. */
export function generationFromBarcode(barcode: string): number | null {
  const fromTable = tableGenerationFromBarcode(barcode);
  if (fromTable !== null) return fromTable;
  return barcode.trim().toUpperCase().slice(-2) === 'M8' ? 8 : null;
}

/** Whether a drive can read a cartridge; false for generations outside the table. */
export function driveCanRead(driveGeneration: number, mediaGeneration: number): boolean {
  return inTable(driveGeneration) && tableCanRead(driveGeneration, mediaGeneration);
}

/** Whether a drive can write (and format) a cartridge; false for generations outside the table. */
export function driveCanWrite(driveGeneration: number, mediaGeneration: number): boolean {
  return inTable(driveGeneration) && tableCanWrite(driveGeneration, mediaGeneration);
}

function inTable(generation: number): boolean {
  return LTO_GENERATIONS.some((g) => g.generation === generation);
}

/** Barcode labels are upper-case letters and digits (VOLSER + media id), 2..16 of them. */
export function isValidBarcode(barcode: string): boolean {
  return /^[A-Z0-9]{2,16}$/.test(barcode);
}
