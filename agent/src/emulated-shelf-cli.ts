#!/usr/bin/env node
// ferrite-emulated: the operator's hands at an emulated library (there are none to take a cartridge
// out of a mail slot). Lists a library and its shelf, takes a cartridge out of a slot onto the shelf,
// puts a shelf cartridge into a slot, safely while the agent runs (drives/emulated/shelf-operator.ts).
// Libraries configured with the same "shelfDir" share their cartridges: remove from one, insert into
// another, run an inventory. Every refusal exits non-zero and changes nothing.
import { parseArgs } from 'node:util';
import {
  ejectFromDrive,
  insertCartridge,
  insertIntoDrive,
  listLibrary,
  removeCartridge,
  ShelfOperatorError,
  type LibraryListing,
} from './drives/emulated/index.js';

const USAGE = `usage: ferrite-emulated <command> --library <dir> [options]

commands:
  list   --library <dir> [--json]              slots, drives and the cartridges on the library's shelf
  remove --library <dir> <barcode>             take a cartridge out of its slot onto the shelf
  insert --library <dir> <barcode> [--slot N] [--new]
                                               put a shelf cartridge into a free slot (an
                                               import/export slot first); --new: a new blank cartridge
  insert --library <dir> <barcode> --drive N [--new]
                                               put a shelf cartridge straight into drive N (a
                                               standalone drive; the default for a library without
                                               changer): the agent notices it by itself
  eject  --library <dir> [--drive N]           take the cartridge out of drive N (default 0) onto
                                               the shelf (refused while the agent has it mounted)

<dir> is the emulated library's "dir" from the agent config (where library.json is). Run an
inventory afterwards (GraphQL: mutation { inventory(agent: "...") { id } }) for the catalog to see it.`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        library: { type: 'string', short: 'l' },
        slot: { type: 'string' },
        drive: { type: 'string' },
        new: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [command, ...rest] = positionals;
  if (!command) throw new UsageError('no command given');
  if (!values.library) throw new UsageError(`${command}: --library <dir> is required`);
  const library = values.library;
  const barcodeArg = (): string => {
    if (rest.length !== 1) throw new UsageError(`${command}: give exactly one barcode${rest.length > 1 ? ` (got ${rest.join(' ')})` : ''}`);
    return rest[0];
  };

  switch (command) {
    case 'list': {
      if (rest.length > 0) throw new UsageError(`list takes no barcode (got ${rest.join(' ')})`);
      const listing = await listLibrary(library);
      console.log(values.json ? JSON.stringify(listing, null, 2) : formatListing(listing));
      return;
    }
    case 'remove': {
      const barcode = barcodeArg();
      const { slot } = await removeCartridge(library, barcode);
      console.log(`${barcode} taken out of slot ${slot}; it is on the shelf (run an inventory for the catalog to see it)`);
      return;
    }
    case 'eject': {
      if (rest.length > 0) throw new UsageError(`eject takes no barcode (got ${rest.join(' ')}): give --drive N`);
      const { barcode } = await ejectFromDrive(library, driveArg(values.drive) ?? 0);
      console.log(`${barcode} taken out of drive${driveArg(values.drive) ?? 0}; it is on the shelf`);
      return;
    }
    case 'insert': {
      const barcode = barcodeArg();
      const drive = driveArg(values.drive);
      if (drive !== undefined || (await listLibrary(library)).slots.length === 0) {
        if (values.slot !== undefined) throw new UsageError('insert: give --slot or --drive, not both');
        const done = await insertIntoDrive(library, barcode, { drive, newCartridge: values.new });
        console.log(`${barcode} put into drive${done.drive} (the agent notices it by itself)`);
        return;
      }
      let slot: number | undefined;
      if (values.slot !== undefined) {
        slot = Number(values.slot);
        if (!/^\d+$/.test(values.slot)) throw new UsageError(`--slot must be a slot number, got ${JSON.stringify(values.slot)}`);
      }
      const done = await insertCartridge(library, barcode, { slot, newCartridge: values.new });
      console.log(`${barcode} put in slot ${done.slot} (run an inventory for the catalog to see it)`);
      return;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

function driveArg(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--drive must be a drive number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function formatListing(l: LibraryListing): string {
  const heldBy = (h: { name: string; library: string } | null) => (h ? `  (held by library ${h.name}, ${h.library}: not seen here)` : '');
  const lines = [
    `library ${l.library.name} (serial ${l.library.serial}) in ${l.library.dir}`,
    `shelf ${l.shelf.dir}${l.shelf.shared ? ' (shared)' : ' (private to this library)'}`,
    '',
    'slots:',
    ...l.slots.map((s) => `  ${String(s.slot).padStart(4)}${s.importExport ? ' i/e' : '    '}  ${s.barcode ?? '-'}${heldBy(s.heldBy)}`),
    'drives:',
    ...l.drives.map((d) => `  ${d.drive.padEnd(8)}  ${d.barcode ?? '-'}${heldBy(d.heldBy)}`),
    'cartridges on the shelf:',
  ];
  if (l.shelfCartridges.length === 0) lines.push('  (none)');
  for (const c of l.shelfCartridges) {
    const where = c.heldBy ? `in library ${c.heldBy.name} (${c.heldBy.library})` : 'on the shelf';
    lines.push(`  ${c.barcode.padEnd(10)}  ${(c.formatted ? `formatted ${c.volumeName ?? ''}`.trim() : 'blank').padEnd(20)}  ${where}`);
  }
  return lines.join('\n');
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(`ferrite-emulated: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  const message = err instanceof ShelfOperatorError ? `${err.code}: ${err.message}` : ((err as Error).stack ?? String(err));
  console.error(`ferrite-emulated: ${message}`);
  process.exit(1);
});
