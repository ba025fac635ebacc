// Turns what the LTFS tools print into TapeError codes. LTFS tags every message with an ID
// ("LTFS11006E ...") and reports device failures with negative codes ("(-20209)"), so both are
// matched; free text is only a last resort. Sources: LinearTapeFileSystem/ltfs messages/*/root.txt
// (message IDs) and src/libltfs/ltfs_error.h (EDEV_* device codes, LTFS_* codes, exit codes).
import { TapeError, type TapeErrorCode } from '../drive.js';
import { toolOutput, type CommandResult } from './command-runner.js';

/** Exit codes shared by mkltfs and ltfsck (ltfs_error.h, PROG_*). */
export const LTFS_EXIT = {
  NO_ERRORS: 0,
  /** ltfsck: corrected (the cartridge was modified); mkltfs -w: unformatted. */
  TREAT_SUCCESS: 1,
  UNCORRECTED: 4,
  OPERATIONAL_ERROR: 8,
  USAGE_SYNTAX_ERROR: 16,
  CANCELED_BY_USER: 32,
} as const;

interface Rule {
  code: TapeErrorCode;
  /** LTFS message IDs (without the LTFS prefix). */
  messages?: string[];
  /** Device / libltfs error codes as printed, without the sign. */
  deviceCodes?: number[];
  /** Fallback text patterns. */
  text?: RegExp[];
}

/**
 * First match wins, so the more specific conditions come first (a write-protected medium also
 * fails the format with a generic 15023I, a missing medium also fails the mount with 14013E).
 */
export const LTFS_ERROR_RULES: readonly Rule[] = [
  {
    code: 'NO_TAPE',
    // 11006E cannot read volume: failed to load the tape; 11093E cannot format: failed to load the
    // medium; 30286I cartridge not loaded. 20209 EDEV_NO_MEDIUM, 1008 LTFS_NO_MEDIUM.
    messages: ['11006E', '11093E', '30286I'],
    deviceCodes: [20209, 1008],
    text: [/no medium present/i, /medium not present/i],
  },
  {
    code: 'DRIVE_BUSY',
    // 11004E cannot take the device lock; 30266W the drive is already reserved. 21710
    // EDEV_DEVICE_BUSY, 21719 EDEV_RESERVATION_CONFLICT, 20205 operation in progress, 1066
    // LTFS_DEVICE_FENCED, 16 EBUSY from open(2).
    messages: ['11004E', '30266W'],
    deviceCodes: [21710, 21719, 20205, 1066, 16],
    text: [/device or resource busy/i, /already in use/i],
  },
  {
    code: 'WRITE_PROTECTED',
    // 11095E cannot format: the medium is write protected. 20701..20703 EDEV_WRITE_PROTECTED(_WORM,
    // _OPERATOR), 1125 LTFS_WRITE_PROTECT, 1050 LTFS_RDONLY_VOLUME.
    messages: ['11095E', '15061E'],
    deviceCodes: [20701, 20702, 20703, 1125, 1050],
    text: [/write[- ]protected/i, /read-only file system/i],
  },
  {
    code: 'VOLUME_DIRTY',
    // 11027E medium consistency check failed (the volume was not unmounted cleanly and LTFS could
    // not recover it at mount: run ltfsck). 17146E the end of data of a partition is missing (the
    // drive lost power, or LTFS was killed, while writing): ltfsck --deep-recovery. 1015
    // LTFS_INCONSISTENT, 1034/1035 EOD missing.
    messages: ['11027E', '16093E', '16094E', '17146E'],
    deviceCodes: [1015, 1034, 1035],
  },
  {
    code: 'NOT_FORMATTED',
    // 17168E medium is not partitioned (never formatted, or unformatted with mkltfs -w).
    messages: ['17168E'],
    deviceCodes: [1011],
  },
  {
    code: 'VOLUME_NOT_EMPTY',
    // 15047E medium is already formatted (mkltfs without --force).
    messages: ['15047E'],
    deviceCodes: [1136],
  },
  {
    code: 'END_OF_MEDIUM',
    deviceCodes: [1051, 1124, 21300],
    text: [/no space left on device/i],
  },
  {
    code: 'MEDIUM_ERROR',
    // 11009E partition labels unreadable; 11020E..11024E index unreadable; 11072E/11077E write
    // failed; 11088E read failed; 11098E partitioning failed. 20300..20399 EDEV_MEDIUM_*.
    messages: ['11009E', '11020E', '11021E', '11023E', '11024E', '11072E', '11077E', '11088E', '11098E'],
    deviceCodes: [20300, 20301, 20302, 20303, 20304, 20305, 20306, 20307, 20308, 20309],
    text: [/medium error/i, /input\/output error/i],
  },
];

const MESSAGE_ID = /LTFS(\d{5}[EWIDT])/g;
const DEVICE_CODE = /\(-(\d{2,5})\)/g;

/** The LTFS message IDs in a tool's output, in order ('11006E', ...). */
export function ltfsMessageIds(output: string): string[] {
  return [...output.matchAll(MESSAGE_ID)].map((m) => m[1]);
}

/** The TapeError code the output points to, or null when nothing is recognised. */
export function classifyLtfsOutput(output: string): TapeErrorCode | null {
  const ids = new Set(ltfsMessageIds(output));
  const codes = new Set([...output.matchAll(DEVICE_CODE)].map((m) => Number(m[1])));
  for (const rule of LTFS_ERROR_RULES) {
    if (rule.messages?.some((id) => ids.has(id))) return rule.code;
    if (rule.deviceCodes?.some((c) => codes.has(c))) return rule.code;
    if (rule.text?.some((re) => re.test(output))) return rule.code;
  }
  return null;
}

/** A TapeError for a failed tool run: the recognised code, else `fallback`. */
export function ltfsToolError(
  what: string,
  result: Pick<CommandResult, 'command' | 'exitCode' | 'stdout' | 'stderr' | 'timedOut'>,
  fallback: TapeErrorCode = 'MEDIUM_ERROR',
): TapeError {
  const output = toolOutput(result);
  const code = result.timedOut ? 'DRIVE_BUSY' : (classifyLtfsOutput(output) ?? fallback);
  const errors = output.split('\n').filter((l) => /LTFS\d{5}E/.test(l) || /error|fail|cannot|busy|protect/i.test(l));
  const detail = (errors.length > 0 ? errors.slice(-3) : output.split('\n').slice(-2)).map((l) => l.trim()).join(' | ');
  const how = result.timedOut ? 'timed out' : result.exitCode !== null ? `exited with ${result.exitCode}` : 'could not run or was killed';
  return new TapeError(code, `${what} failed: \`${result.command}\` ${how}${detail ? `: ${detail}` : ''}`);
}
