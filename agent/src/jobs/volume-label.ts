// /FERRITE.json: the volume label Ferrite writes on every tape it formats. Any LTFS implementation
// can read it; the rebuild of a catalog from tapes starts here.
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { MountedVolume } from '../drives/drive.js';

export const LABEL_PATH = 'FERRITE.json';
export const FORMAT_VERSION = 1;

export interface VolumeLabel {
  format: 'ferrite';
  formatVersion: number;
  barcode: string;
  volumeUuid: string;
  pool: string | null;
  createdAt: string;
  createdBy: { agent: string; hostname: string };
  /** Encryption header; null while volumes are written in clear. */
  encryption: null;
}

export async function writeLabel(volume: MountedVolume, label: VolumeLabel): Promise<void> {
  const out = await volume.createWriteStream(LABEL_PATH);
  await pipeline(Readable.from([Buffer.from(JSON.stringify(label, null, 2) + '\n')]), out);
}

export async function readLabel(volume: MountedVolume): Promise<VolumeLabel | null> {
  if (!(await volume.exists(LABEL_PATH))) return null;
  return JSON.parse(await text(volume.createReadStream(LABEL_PATH))) as VolumeLabel;
}
