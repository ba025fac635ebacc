// Synthetic catalog for the catalog benchmark: deterministic (the same size gives the same catalog),
// cheap to generate (no hashing), with the shapes a real site has: camera folders whose counters
// wrap (IMG_1234.JPG, DSC05567.ARW repeat across folders), deep source trees with the same directory
// and file names everywhere, videos, documents, and a few huge flat directories. A path occurs once
// per host (a run reports each path once), however large the catalog. Every host is backed
// up by several full runs; between runs about one file in ten changes content, the rest is reported
// again by reference, without a location, as the agent records a file whose content the pool already
// holds (dedup: the bytes are not written again, the catalog checks the content is on tape).
// Ownership as on a real host: a home is its user's (group users), a few files in source trees
// root's (written by sudo), videos a service user's, the dump directory root's.
import { FileType, type FileRecord } from '@ferrite/proto';

export const HOSTS = ['nas1', 'ws-anna', 'ws-ben', 'media1'];
export const RUNS_PER_HOST = 3;
/** Entries per synthetic directory (huge directories gather many such blocks). */
const BLOCK = 200;
/** Files per tape within one run. */
export const FILES_PER_TAPE = 400_000;

const USERS = ['anna', 'ben', 'carla', 'dmitri', 'eve', 'farid', 'gus', 'hana'];
const EVENTS = ['Holiday', 'Birthday', 'Hiking', 'Wedding', 'Beach', 'Concert', 'Garden', 'Roadtrip', 'Snow', 'Zoo'];
const PROJECTS = ['ferrite', 'website', 'thesis', 'game', 'scripts', 'dotfiles', 'infra', 'ml-experiments'];
const DIRS = ['src', 'lib', 'test', 'util', 'core', 'api', 'components', 'internal', 'docs', 'build'];
const SOURCE_NAMES = [
  'index.ts',
  'utils.ts',
  'README.md',
  'package.json',
  'main.c',
  'Makefile',
  'config.yaml',
  'types.d.ts',
  '__init__.py',
  'mod.rs',
  '.gitignore',
  'LICENSE',
];
const DOC_TOPICS = ['taxes', 'invoices', 'contracts', 'school', 'medical', 'house', 'car', 'travel'];

/** 32-bit integer hash (a few multiply-xorshift rounds): stable pseudo-random choices per index. */
export function mix(a: number, b = 0, c = 0): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35) ^ Math.imul(c + 0x165667b1, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return h >>> 0;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const pick = <T>(list: readonly T[], h: number): T => list[h % list.length];

interface Entry {
  dir: string;
  name: string;
  size: number;
  mtimeMs: number;
  /** USERS index, or ROOT / MEDIA. */
  owner: number;
}

const ROOT = -1;
const MEDIA = -2;
const USERS_GID = 100;

/** uid, gid and their names for an Entry's owner. */
function ownership(owner: number): Pick<FileRecord, 'uid' | 'gid' | 'owner' | 'group'> {
  if (owner === ROOT) return { uid: 0, gid: 0, owner: 'root', group: 'root' };
  if (owner === MEDIA) return { uid: 990, gid: 990, owner: 'media', group: 'media' };
  return { uid: 1000 + owner, gid: USERS_GID, owner: USERS[owner], group: 'users' };
}

const YEAR0 = 2012;
const dayMs = 86_400_000;
const epochOf = (year: number, dayOfYear: number) => Date.UTC(year, 0, 1) + dayOfYear * dayMs;

/** The i-th file of a host's tree (files of one directory are consecutive, as a tree walk reports them). */
export function entry(host: number, i: number): Entry {
  const block = Math.floor(i / BLOCK);
  const j = i % BLOCK;
  const hb = mix(host, block);
  const kind = hb % 100;
  const userIndex = (hb >>> 8) % USERS.length;
  const user = USERS[userIndex];
  const year = YEAR0 + ((hb >>> 12) % 14);
  const day = (hb >>> 4) % 360;
  const mtimeMs = epochOf(year, day) + (mix(host, i) % dayMs);
  const counter = (block * BLOCK + j) % 10_000;
  if (kind < 35) {
    const mm = pad(1 + Math.floor(day / 30), 2);
    const dd = pad(1 + (day % 28), 2);
    const dir = `/home/${user}/Pictures/${year}/${year}-${mm}-${dd} ${pick(EVENTS, hb >>> 16)}`;
    const raw = (hb >>> 20) % 3 === 0;
    const name = raw ? `DSC${pad(counter, 5)}.ARW` : `IMG_${pad(counter, 4)}.JPG`;
    return { dir, name, size: (raw ? 20_000_000 : 3_000_000) + (mix(i, host) % 5_000_000), mtimeMs, owner: userIndex };
  }
  if (kind < 65) {
    // Deep trees that repeat the same directory and file names.
    const h2 = mix(hb, 7);
    let dir = `/home/${user}/code/${pick(PROJECTS, h2)}`;
    const depth = 3 + (h2 % 6);
    for (let d = 0; d < depth; d++) dir += `/${pick(DIRS, mix(h2, d))}`;
    dir += `/m${block % 997}`;
    const name = j < SOURCE_NAMES.length ? SOURCE_NAMES[j] : `file${j}.${pick(['ts', 'js', 'py', 'c', 'h', 'rs', 'go', 'json'], mix(i, 3))}`;
    return { dir, name, size: 100 + (mix(i, 5) % 60_000), mtimeMs, owner: mix(i, 19) % 50 === 0 ? ROOT : userIndex };
  }
  if (kind < 75) {
    const dir = `/data/video/${year}/${pick(EVENTS, hb >>> 16)} ${block}`;
    const style = (hb >>> 18) % 3;
    const name = style === 0 ? `MVI_${pad(counter, 4)}.MOV` : style === 1 ? `C${pad(counter, 4)}.MP4` : `clip_${year}_${pad(counter, 4)}.mov`;
    return { dir, name, size: 200_000_000 + (mix(i, 9) % 2_000_000_000), mtimeMs, owner: MEDIA };
  }
  if (kind < 95) {
    const topic = pick(DOC_TOPICS, hb >>> 16);
    // One folder per block: names repeat across folders (report-2015-042.pdf), never within one.
    const dir = `/home/${user}/Documents/${topic}/${year}/${pad(block, 5)}`;
    const style = mix(i, 11) % 4;
    const name =
      style === 0
        ? `report-${year}-${pad(j, 3)}.pdf`
        : style === 1
          ? `invoice_${year}_${pad(counter, 4)}.pdf`
          : style === 2
            ? `Scan ${pad(counter, 4)}.pdf`
            : `notes-${j}.txt`;
    return { dir, name, size: 20_000 + (mix(i, 13) % 3_000_000), mtimeMs, owner: userIndex };
  }
  // One huge flat directory per host: every block of this kind lands in it.
  const dir = '/srv/dumps/huge';
  return { dir, name: `blob_${pad(i, 9)}.bin`, size: 4096 + (mix(i, 17) % 60_000), mtimeMs, owner: ROOT };
}

/** The run (0-based) in which this file's content of run `run` was first written. */
export function contentRun(host: number, i: number, run: number): number {
  let written = 0;
  for (let r = 1; r <= run; r++) if (mix(host, i, r) % 10 === 0) written = r;
  return written;
}

/** A deterministic stand-in for the SHA-256 of file i's content as first written in `run`. Each
 *  32-bit word mixes its own seed with i: with mix(seed, i, k), two files whose (seed, i) collide in
 *  mix's first step collided in all eight words, so one pair in 2^32 shared a "hash" (about 10,000
 *  false duplicates at 10 million files). */
export function fakeSha256(host: number, i: number, run: number): Buffer {
  const b = Buffer.allocUnsafe(32);
  for (let k = 0; k < 8; k++) b.writeUInt32LE(mix(mix(host * 7919 + run, k), i), k * 4);
  return b;
}

export function tapeBarcode(host: number, run: number, i: number): string {
  return `H${host}R${run}T${pad(Math.floor(i / FILES_PER_TAPE), 2)}`;
}

/** The records files [from, to) of `host` as run `run` reports them. */
export function records(host: number, run: number, from: number, to: number, jobTag: string): FileRecord[] {
  const out: FileRecord[] = new Array(to - from);
  for (let i = from; i < to; i++) {
    const e = entry(host, i);
    const written = contentRun(host, i, run);
    const small = e.size < 1_048_576;
    // Small files are packed 256 to a bundle; large ones stored whole at their path.
    const bundle = Math.floor(i / 256);
    out[i - from] = {
      path: `${e.dir}/${e.name}`,
      type: FileType.FILE_TYPE_FILE,
      xattrs: [],
      linkCount: 0,
      hardLinkTo: '',
      rdevMajor: 0,
      rdevMinor: 0,
      ...ownership(e.owner),
      dataMap: [],
      size: e.size,
      mtimeMs: e.mtimeMs + written * 1000,
      ctimeMs: e.mtimeMs + written * 1000,
      inode: 1000 + i,
      deleted: false,
      changedDuringBackup: false,
      mode: 0o100644,
      sha256: fakeSha256(host, i, written),
      symlinkTarget: '',
      locations:
        written < run
          ? []
          : [
              {
                barcode: tapeBarcode(host, written, i),
                partition: 'b',
                startBlock: small ? bundle * 8 : i * 4,
                containerPath: small
                  ? `/ferrite/data/${jobTag}-${written}/bundles/${pad(bundle, 6)}.tar`
                  : `/ferrite/data/${jobTag}-${written}${e.dir}/${e.name}`,
                offset: small ? 512 + (i % 256) * 1024 : 0,
                length: e.size,
                segment: 0,
                fileOffset: 0,
                segmentSha256: Buffer.alloc(0),
                dataMap: [],
              },
            ],
    };
  }
  return out;
}
