// The emulated backend's public surface: what the agent's wiring and the tests import.
export { openEmulatedLibrary, type EmulatedLibraryConfig, type OpenedEmulatedLibrary } from './open-emulated-library.js';
export { EmulatedLibrary } from './emulated-library.js';
export { EmulatedDrive } from './emulated-drive.js';
export { EmulatedVolume } from './emulated-volume.js';
export {
  ejectFromDrive,
  insertCartridge,
  insertIntoDrive,
  listLibrary,
  removeCartridge,
  ShelfOperatorError,
  type InsertOptions,
  type LibraryListing,
  type ShelfOperatorErrorCode,
} from './shelf-operator.js';
