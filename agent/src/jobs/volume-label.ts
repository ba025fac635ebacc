// /FERRITE.json: the volume label Ferrite writes on every tape it formats. Any LTFS implementation
// can read it; the rebuild of a catalog from tapes starts here.
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { MountedVolume } from '../drives/drive.js';
import { JobError } from './job-context.js';

export const LABEL_PATH = 'FERRITE.json';
export const FORMAT_VERSION = 1;

export interface VolumeLabel {
  format: 'ferrite';
  formatVersion: number;
  barcode: string;
  volumeUuid: string;
  pool: string | null;
  /**
   * 1 for a tape's first Ferrite volume, one more each time a format replaces a Ferrite volume (a
   * recycled tape is reformatted before it takes new data). Absent on labels written before
   * 2026-12-06: read as 1.
   */
  generation?: number;
  createdAt: string;
  createdBy: { agent: string; hostname: string };
  /** Encryption header; null while volumes are written in clear. */
  encryption: null;
}

export async function writeLabel(volume: MountedVolume, label: VolumeLabel): Promise<void> {
  const out = await volume.createWriteStream(LABEL_PATH);
  await pipeline(Readable.from([Buffer.from(JSON.stringify(label, null, 2) + '\n')]), out);
}

/** The label's generation (labels written before generations existed count as 1). */
export function labelGeneration(label: Pick<VolumeLabel, 'generation'>): number {
  return Number.isSafeInteger(label.generation) && label.generation! >= 1 ? label.generation! : 1;
}

export async function readLabel(volume: MountedVolume): Promise<VolumeLabel | null> {
  if (!(await volume.exists(LABEL_PATH))) return null;
  return JSON.parse(await text(volume.createReadStream(LABEL_PATH))) as VolumeLabel;
}

/**
 * The label of the mounted volume, which must be Ferrite's and name `barcode`: what a job checks
 * before it reads a tape it was given. LABEL_MISSING, LABEL_INVALID or LABEL_MISMATCH otherwise.
 */
export async function expectLabel(volume: MountedVolume, barcode: string): Promise<VolumeLabel> {
  let label: VolumeLabel | null;
  try {
    label = await readLabel(volume);
  } catch (err) {
    throw new JobError('LABEL_INVALID', `the label of tape ${barcode} cannot be read: ${(err as Error).message}`);
  }
  if (!label) throw new JobError('LABEL_MISSING', `tape ${barcode} has no Ferrite label (FERRITE.json): it was not written by Ferrite`);
  if (label.format !== 'ferrite' || typeof label.barcode !== 'string')
    throw new JobError('LABEL_INVALID', `the label of tape ${barcode} is not a Ferrite label`);
  if (label.barcode !== barcode) throw new JobError('LABEL_MISMATCH', `tape in drive is labelled ${label.barcode}, expected ${barcode}`);
  return label;
}
