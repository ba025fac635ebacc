// The mtx changer backend's public surface.
export { MtxLibrary, type MtxLibrarySettings } from './mtx-library.js';
export { parseMtxStatus, MtxParseError, type MtxStatus } from './mtx-status-parser.js';
export { classifyMtxOutput, MTX_ERROR_RULES } from './mtx-errors.js';
