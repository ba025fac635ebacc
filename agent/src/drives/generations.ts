// The LTO generations table, as the agent's backends and emulator use it. The table itself is in
// @ferrite/proto (proto/src/lto-generations.ts) so the catalog server plans with the same figures.
export {
  LTO_GENERATIONS,
  MIN_GENERATION,
  MAX_GENERATION,
  ltoGeneration,
  isCleaningBarcode,
  isWormBarcode,
  generationFromBarcode,
  canRead,
  canWrite,
  type LtoGeneration,
} from '@ferrite/proto';
