// A cartridge of the ltfs-file library on disk: the tape directory LTFS's `file` backend keeps it
// in, beside the emulated changer's own record of it (cartridges/<barcode>/ on the shelf). Its
// size comes from filedebug_tc_conf.xml, which must exist before the first mkltfs: LTFS writes one
// with its defaults (3 GB) otherwise, and a cartridge's size never changes afterwards.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const FILE_BACKEND_CONFIG = 'filedebug_tc_conf.xml';

/** The LTFS tape directory of a cartridge whose emulated-changer directory is `cartridgeDir`. */
export function tapeDirectory(cartridgeDir: string): string {
  return join(cartridgeDir, 'ltfs');
}

/**
 * Creates the tape directory with its size the first time, and sets its write-protect tab (the
 * emulated cartridge's) before every load: LTFS's file backend reads `emulate_readonly` from the
 * cartridge's config when it loads it, and then behaves as a drive with a write-protected cartridge
 * (a read-only mount, LTFS11095E for mkltfs). The size of an existing cartridge is never changed.
 */
export async function prepareTapeDirectory(cartridgeDir: string, capacityBytes: number, writeProtected = false): Promise<string> {
  const dir = tapeDirectory(cartridgeDir);
  await mkdir(dir, { recursive: true });
  const file = join(dir, FILE_BACKEND_CONFIG);
  const tab = `<emulate_readonly>${writeProtected}</emulate_readonly>`;
  const capacityMb = Math.floor(capacityBytes / (1024 * 1024));
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<filedebug_cartridge_config>\n  ${tab}\n  <capacity_mb>${capacityMb}</capacity_mb>\n</filedebug_cartridge_config>\n`;
  try {
    await writeFile(file, xml, { flag: 'wx' });
    return dir;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const current = await readFile(file, 'utf8');
  const set = /<emulate_readonly>\s*(true|false)\s*<\/emulate_readonly>/.test(current)
    ? current.replace(/<emulate_readonly>\s*(true|false)\s*<\/emulate_readonly>/, tab)
    : current.replace('<filedebug_cartridge_config>', `<filedebug_cartridge_config>\n  ${tab}`);
  if (set !== current) await writeFile(file, set);
  return dir;
}

/**
 * Puts back the end-of-data marks a killed LTFS left missing. The file backend keeps each record
 * as a file <partition>_<position>_R (filemarks _F) and the end of data as an empty
 * <partition>_<position>_E after the last one; LTFS killed while writing leaves no _E, and then
 * every mount and ltfsck stops at LTFS17146E "EOD is missing, deep recovery required". A real drive
 * finds the end of what it recorded (deep recovery reads up to it, guided by the cartridge memory),
 * but the file backend does not keep the cartridge-memory data deep recovery needs (it fails with
 * LTFS17144E / 16091E). Marking the end after the last record written is what a drive would find;
 * LTFS then sees data after its last index and rolls back to that index as after any crash.
 * Returns the partitions whose mark was put back.
 */
export async function restoreEndOfData(tapeDir: string): Promise<number[]> {
  const last = new Map<number, number>();
  const ended = new Set<number>();
  for (const name of await readdir(tapeDir)) {
    const m = /^(\d+)_(\d+)_([RFE])$/.exec(name);
    if (!m) continue;
    const partition = Number(m[1]);
    if (m[3] === 'E') ended.add(partition);
    else last.set(partition, Math.max(last.get(partition) ?? -1, Number(m[2])));
  }
  const restored: number[] = [];
  for (const [partition, position] of last) {
    if (ended.has(partition)) continue;
    await writeFile(join(tapeDir, `${partition}_${position + 1}_E`), '', { flag: 'wx' });
    restored.push(partition);
  }
  return restored;
}
