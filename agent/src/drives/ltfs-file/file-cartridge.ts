// A cartridge of the ltfs-file library on disk: the tape directory LTFS's `file` backend keeps it
// in, beside the emulated changer's own record of it (cartridges/<barcode>/ on the shelf). Its
// size comes from filedebug_tc_conf.xml, which must exist before the first mkltfs: LTFS writes one
// with its defaults (3 GB) otherwise, and a cartridge's size never changes afterwards.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const FILE_BACKEND_CONFIG = 'filedebug_tc_conf.xml';

/** The LTFS tape directory of a cartridge whose emulated-changer directory is `cartridgeDir`. */
export function tapeDirectory(cartridgeDir: string): string {
  return join(cartridgeDir, 'ltfs');
}

/** Creates the tape directory with its size the first time; leaves an existing one as it is. */
export async function prepareTapeDirectory(cartridgeDir: string, capacityBytes: number): Promise<string> {
  const dir = tapeDirectory(cartridgeDir);
  await mkdir(dir, { recursive: true });
  const capacityMb = Math.floor(capacityBytes / (1024 * 1024));
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<filedebug_cartridge_config>\n  <capacity_mb>${capacityMb}</capacity_mb>\n</filedebug_cartridge_config>\n`;
  try {
    await writeFile(join(dir, FILE_BACKEND_CONFIG), xml, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return dir;
}
