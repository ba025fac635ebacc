// TapeAlert flags (SCSI log page 0x2E, flags 1..64) as LTFS reports them in
// ltfs.mediaStorageAlert: flag n is bit n-1 (LTFS tape backends: `ta += 1 << (i - 1)`). Names
// follow the T10 TapeAlert table for the flags an operator acts on.

export interface TapeAlert {
  flag: number;
  name: string;
  /** critical: stop using the tape/drive; warning: plan an action; info: note it. */
  severity: 'critical' | 'warning' | 'info';
}

const KNOWN: Record<number, Omit<TapeAlert, 'flag'>> = {
  1: { name: 'READ_WARNING', severity: 'warning' },
  2: { name: 'WRITE_WARNING', severity: 'warning' },
  3: { name: 'HARD_ERROR', severity: 'warning' },
  4: { name: 'MEDIA', severity: 'critical' },
  5: { name: 'READ_FAILURE', severity: 'critical' },
  6: { name: 'WRITE_FAILURE', severity: 'critical' },
  7: { name: 'MEDIA_LIFE', severity: 'warning' },
  8: { name: 'NOT_DATA_GRADE', severity: 'warning' },
  9: { name: 'WRITE_PROTECT', severity: 'critical' },
  10: { name: 'NO_REMOVAL', severity: 'info' },
  11: { name: 'CLEANING_MEDIA', severity: 'info' },
  12: { name: 'UNSUPPORTED_FORMAT', severity: 'info' },
  15: { name: 'MEMORY_CHIP_FAILURE', severity: 'warning' },
  18: { name: 'DIRECTORY_CORRUPTED', severity: 'warning' },
  19: { name: 'NEARING_MEDIA_LIFE', severity: 'info' },
  20: { name: 'CLEAN_NOW', severity: 'critical' },
  21: { name: 'CLEAN_PERIODIC', severity: 'warning' },
  22: { name: 'EXPIRED_CLEANING_MEDIA', severity: 'critical' },
  23: { name: 'INVALID_CLEANING_TAPE', severity: 'critical' },
  30: { name: 'HARDWARE_A', severity: 'critical' },
  31: { name: 'HARDWARE_B', severity: 'critical' },
  39: { name: 'DIAGNOSTICS_REQUIRED', severity: 'warning' },
  49: { name: 'DIMINISHED_NATIVE_CAPACITY', severity: 'warning' },
  51: { name: 'TAPE_DIRECTORY_INVALID_AT_UNLOAD', severity: 'warning' },
  52: { name: 'TAPE_SYSTEM_AREA_WRITE_FAILURE', severity: 'critical' },
  53: { name: 'TAPE_SYSTEM_AREA_READ_FAILURE', severity: 'critical' },
};

/** The flags set in a 64-bit TapeAlert word, lowest flag first. */
export function decodeTapeAlerts(bits: bigint): TapeAlert[] {
  const alerts: TapeAlert[] = [];
  for (let flag = 1; flag <= 64; flag++) {
    if ((bits >> BigInt(flag - 1)) & 1n) {
      alerts.push({ flag, ...(KNOWN[flag] ?? { name: `FLAG_${flag}`, severity: 'info' }) });
    }
  }
  return alerts;
}

/** Whether the drive asks for a cleaning cartridge. */
export function needsCleaning(alerts: readonly TapeAlert[]): boolean {
  return alerts.some((a) => a.flag === 20 || a.flag === 21);
}
