// Parses `mtx -f DEV status`. The format (mtx 1.3.x):
//
//   Storage Changer /dev/sg3:2 Drives, 10 Slots ( 1 Import/Export )
// Data Transfer Element 0:Full (Storage Element 3 Loaded):VolumeTag = FER003L9
// Data Transfer Element 1:Empty
//       Storage Element 1:Full :VolumeTag=FER001L9
//       Storage Element 2:Empty
//       Storage Element 10 IMPORT/EXPORT:Empty
//
// Drives are numbered from 0, slots from 1 (import/export slots share the slot numbering). A drive
// whose source is unknown reads "Full (Unknown Storage Element Loaded)"; a cartridge without a
// readable label has no VolumeTag; AlternateVolumeTag lines may follow and are ignored.
import type { LibraryStatus } from '../drive.js';

export interface MtxStatus extends LibraryStatus {
  /** From the header line, when present. */
  declaredDrives: number | null;
  declaredSlots: number | null;
  declaredImportExport: number | null;
}

const HEADER = /Storage Changer\s+\S+:\s*(\d+)\s+Drives?,\s*(\d+)\s+Slots?(?:\s*\(\s*(\d+)\s+Import\/Export\s*\))?/i;
const DRIVE =
  /^\s*Data Transfer Element\s+(\d+):(Full|Empty)(?:\s*\((?:Storage Element\s+(\d+)|Unknown Storage Element)\s+Loaded\))?(?:\s*:\s*VolumeTag\s*=\s*(\S*))?/i;
const SLOT = /^\s*Storage Element\s+(\d+)(\s+IMPORT\/EXPORT)?\s*:\s*(Full|Empty)(?:\s*:\s*VolumeTag\s*=\s*(\S*))?/i;

export class MtxParseError extends Error {}

export function parseMtxStatus(output: string): MtxStatus {
  const status: MtxStatus = { slots: [], drives: [], declaredDrives: null, declaredSlots: null, declaredImportExport: null };
  let sawHeader = false;
  for (const line of output.split('\n')) {
    const header = HEADER.exec(line);
    if (header) {
      sawHeader = true;
      status.declaredDrives = Number(header[1]);
      status.declaredSlots = Number(header[2]);
      status.declaredImportExport = header[3] === undefined ? 0 : Number(header[3]);
      continue;
    }
    const drive = DRIVE.exec(line);
    if (drive) {
      const full = drive[2].toLowerCase() === 'full';
      status.drives.push({
        driveIndex: Number(drive[1]),
        // A full drive without a label is still occupied: '' marks an unreadable barcode.
        barcode: full ? (drive[4] ?? '') : null,
        sourceSlot: full && drive[3] !== undefined ? Number(drive[3]) : null,
      });
      continue;
    }
    const slot = SLOT.exec(line);
    if (slot) {
      const full = slot[3].toLowerCase() === 'full';
      status.slots.push({ slot: Number(slot[1]), barcode: full ? (slot[4] ?? '') : null, importExport: Boolean(slot[2]) });
    }
  }
  if (!sawHeader && status.slots.length === 0 && status.drives.length === 0) {
    throw new MtxParseError(`not mtx status output: ${JSON.stringify(output.slice(0, 200))}`);
  }
  status.slots.sort((a, b) => a.slot - b.slot);
  status.drives.sort((a, b) => a.driveIndex - b.driveIndex);
  return status;
}
