// The ltfs backend's public surface: what the agent's wiring and the tests import.
export { openLtfsLibrary, type OpenedLtfsLibrary, type LtfsBackendOverrides } from './open-ltfs-library.js';
export { LtfsDrive, volumeSerial, parseRollbackPoints, type LtfsCheckOptions, type LtfsMountOptions, type RollbackPoint } from './ltfs-drive.js';
export { LtfsVolume } from './ltfs-volume.js';
export {
  ExecFileRunner,
  DEFAULT_TOOL_PATHS,
  type CommandRunner,
  type CommandResult,
  type RunningCommand,
  type ToolName,
  type ToolPaths,
} from './command-runner.js';
export { classifyLtfsOutput, ltfsMessageIds, LTFS_ERROR_RULES, LTFS_EXIT } from './ltfs-errors.js';
export { decodeTapeAlerts, needsCleaning, type TapeAlert } from './tape-alert-flags.js';
export { ltfsLibrarySchema, type LtfsLibrarySettings } from '../../config/ltfs-config-schema.js';
