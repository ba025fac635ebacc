// Which drive of an agent a queued job runs on, or why it has to wait. Pure: the dispatcher's
// repository reads the drives under a lock and applies the answer.

export interface DriveForChoice {
  id: string;
  name: string;
  state: string;
  loadedBarcode: string | null;
  /** An ASSIGNED or RUNNING job holds it. */
  busy: boolean;
}

export type DriveChoice = { drive: DriveForChoice } | { reason: string };

const UNUSABLE = new Set(['OFFLINE', 'NEEDS_CLEANING']);

/**
 * Prefers the drive that already holds the job's tape (no robot move); otherwise an empty drive,
 * so no other cartridge has to be unloaded; otherwise any free drive.
 */
export function chooseDrive(drives: DriveForChoice[], barcode: string | null, agentName: string): DriveChoice {
  if (drives.length === 0) return { reason: `agent ${agentName} has no drives` };
  if (barcode) {
    const holder = drives.find((d) => d.loadedBarcode === barcode);
    if (holder) {
      if (UNUSABLE.has(holder.state)) return { reason: `tape ${barcode} is in drive ${holder.name}, which is ${holder.state}` };
      if (holder.busy) return { reason: `tape ${barcode} is in drive ${holder.name}, which is busy` };
      return { drive: holder };
    }
  }
  const usable = drives.filter((d) => !UNUSABLE.has(d.state));
  if (usable.length === 0) return { reason: `${allDrives(drives.length, agentName)} offline or need${drives.length === 1 ? 's' : ''} cleaning` };
  const free = usable.filter((d) => !d.busy);
  if (free.length === 0) return { reason: `${allDrives(usable.length, agentName)} busy` };
  return { drive: free.find((d) => d.loadedBarcode === null) ?? free[0]! };
}

// "all 2 drives of tape-01 are" / "the only drive of tape-01 is"
function allDrives(n: number, agentName: string): string {
  return n === 1 ? `the only drive of ${agentName} is` : `all ${n} drives of ${agentName} are`;
}
