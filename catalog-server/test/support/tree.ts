// Builds the awkward source tree the end-to-end tests back up, and describes a tree (type, bytes,
// mode, mtime, link target, per entry) so a restore can be compared with its source.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, link, lstat, mkdir, open, readdir, readlink, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const AWKWARD_NAMES = [
  'with space.txt',
  'ünïcødé-文件.txt',
  `quote's "double".txt`,
  'new\nline.txt',
  'percent%_under[score]\\.txt',
  '*?[a-z]{x,y}.txt',
  // The same name in NFC and in NFD: two different files to Linux, so two to Ferrite.
  'caf\u00e9.txt',
  'cafe\u0301.txt',
];

/**
 * Names at the file-system limits, under `names/`: 255 bytes (the Linux limit), 250 bytes of
 * two-byte UTF-8, and a 250-byte name on a file too large to be bundled (its own file on tape). A
 * restore once failed whole on such a name (its temporary name passed 255 bytes).
 */
export const LONG_NAMES = {
  ascii255: `${'n'.repeat(251)}.txt`,
  utf8250: 'é'.repeat(125),
  large250: `${'L'.repeat(246)}.bin`,
};
/** 40 directories deep, under `names/`. */
export const DEEP_PATH = Array.from({ length: 40 }, (_, i) => `d${String(i + 1).padStart(2, '0')}`).join('/');
/** Size of the large long-named file: above the agent's default small-file threshold (1 MiB). */
export const LARGE_LONG_NAMED_BYTES = 1024 * 1024 + 123;

export interface TreeOptions {
  smallFiles: number;
  bigFileBytes: number;
}

export async function buildSourceTree(root: string, opts: TreeOptions): Promise<void> {
  await mkdir(path.join(root, 'nested/deeper/deepest'), { recursive: true });
  await mkdir(path.join(root, 'empty-dir'), { recursive: true });
  await mkdir(path.join(root, 'small'), { recursive: true });
  for (let i = 0; i < opts.smallFiles; i++) {
    await writeFile(path.join(root, 'small', `file-${String(i).padStart(4, '0')}.txt`), `small file ${i}\n${randomBytes(i % 4096).toString('hex')}`);
  }
  for (const name of AWKWARD_NAMES) await writeFile(path.join(root, 'nested', name), `content of ${name}\n`);
  await writeFile(path.join(root, 'nested/deeper/deepest/leaf.bin'), randomBytes(3000));
  await writeFile(path.join(root, 'empty.txt'), '');
  await writeFile(path.join(root, 'nested/empty-too'), '');
  await writeFile(path.join(root, 'script.sh'), '#!/bin/sh\necho hi\n');
  await chmod(path.join(root, 'script.sh'), 0o750);
  await writeFile(path.join(root, 'private.txt'), 'secret-ish');
  await chmod(path.join(root, 'private.txt'), 0o600);
  // A big file written in chunks (random, so nothing can compress or dedupe it).
  const big = createWriteStream(path.join(root, 'nested/big file.bin'));
  const chunk = 1024 * 1024;
  for (let done = 0; done < opts.bigFileBytes; done += chunk) {
    if (!big.write(randomBytes(Math.min(chunk, opts.bigFileBytes - done)))) await once(big, 'drain');
  }
  big.end();
  await once(big, 'finish');
  await mkdir(path.join(root, 'names', DEEP_PATH), { recursive: true });
  await writeFile(path.join(root, 'names', LONG_NAMES.ascii255), 'two hundred and fifty-five bytes of name\n');
  await writeFile(path.join(root, 'names', LONG_NAMES.utf8250), 'two hundred and fifty bytes of UTF-8 name\n');
  await writeFile(path.join(root, 'names', LONG_NAMES.large250), randomBytes(LARGE_LONG_NAMED_BYTES));
  await writeFile(path.join(root, 'names', DEEP_PATH, LONG_NAMES.ascii255), 'deep and long\n');
  await symlink('deeper/deepest/leaf.bin', path.join(root, 'nested/link-to-leaf'));
  await symlink('/nonexistent/target', path.join(root, 'dangling-link'));
  await makeHardLinks(root);
  await makeSparseFile(root);
  // A FIFO and a character device (the e2e tests run as root), and an empty directory beside them.
  await mkdir(path.join(root, 'special/empty'), { recursive: true });
  await execFileAsync('mkfifo', ['-m', '640', path.join(root, 'special/pipe')]);
  await execFileAsync('mknod', ['-m', '666', path.join(root, 'special/null-like'), 'c', '1', '3']);
  await setAttributes(root);
  // Distinct, old mtimes so a restore that forgets them is caught.
  const old = new Date('2021-03-04T05:06:07.890Z');
  for (const rel of OLD_TIME_PATHS) await utimes(path.join(root, rel), old, old);
  // Times a float of milliseconds cannot carry: every file of the tree gets nanoseconds (below the
  // microsecond too), and some the ones that rounding damaged (.9996 s came back a second late).
  await setNanosecondTimes(root);
}

/**
 * Extended attributes and POSIX ACLs on a few entries (set before the times: setting them changes
 * no mtime, but setfacl changes the mode's group bits). Values are kept small: ext4 holds about
 * 4 KiB of them per file. trusted.* and security.* need root, which the end-to-end tests run as.
 */
export const ATTRIBUTE_PATHS = {
  /** user.* with text and binary values, trusted.*, security.* (bundled on tape). */
  bundled: 'nested/with space.txt',
  /** A file stored whole on tape, with a user.* attribute. */
  large: 'nested/big file.bin',
  /** An access ACL naming a user and a group. */
  aclFile: 'private.txt',
  /** A directory with an access and a default ACL, and a user.* attribute. */
  aclDir: 'nested/deeper',
  /** A symlink's own trusted.* attribute. */
  link: 'nested/link-to-leaf',
  /** An empty file with an attribute whose value is empty. */
  empty: 'empty.txt',
};

/** Hard links, each group under links/ (a restore of another directory takes none of them): a
 *  bundled file with three names, one in a subdirectory, and a file stored whole with two. The
 *  first of each is the first in the backup's order (names sorted by bytes, depth first). */
export const HARD_LINK_GROUPS = [
  ['links/a-small.txt', 'links/b small second name.txt', 'links/sub/small-third.txt'],
  ['links/large.bin', 'links/large.link.bin'],
];

/** A 1 GiB file with three data blocks (its start, 300 MiB in, its last 4 KiB): the rest is holes. */
export const SPARSE = { path: 'sparse/disk.img', size: 1024 ** 3, blocks: [0, 300 * 1024 * 1024, 1024 ** 3 - 4096], blockBytes: 4096 };

async function makeSparseFile(root: string): Promise<void> {
  const file = path.join(root, SPARSE.path);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, '');
  await truncate(file, SPARSE.size);
  const fh = await open(file, 'r+');
  for (const at of SPARSE.blocks) await fh.write(randomBytes(SPARSE.blockBytes), 0, SPARSE.blockBytes, at);
  await fh.close();
}

async function makeHardLinks(root: string): Promise<void> {
  await mkdir(path.join(root, 'links/sub'), { recursive: true });
  await writeFile(path.join(root, HARD_LINK_GROUPS[0][0]), 'one file, three names\n');
  await writeFile(path.join(root, HARD_LINK_GROUPS[1][0]), randomBytes(LARGE_LONG_NAMED_BYTES));
  for (const [first, ...others] of HARD_LINK_GROUPS) for (const other of others) await link(path.join(root, first), path.join(root, other));
}

async function setAttributes(root: string): Promise<void> {
  const set = (rel: string, name: string, value: string) => execFileAsync('setfattr', ['-h', '-n', name, '-v', value, path.join(root, rel)]);
  await set(ATTRIBUTE_PATHS.bundled, 'user.origin', 'scanner 7');
  await set(ATTRIBUTE_PATHS.bundled, 'user.binary', '0x00ff0a3d');
  await set(ATTRIBUTE_PATHS.bundled, 'trusted.secret', 'root only');
  await set(ATTRIBUTE_PATHS.bundled, 'security.label', 'lbl');
  await set(ATTRIBUTE_PATHS.large, 'user.checksum', 'abc123');
  await set(ATTRIBUTE_PATHS.link, 'trusted.on-the-link', 'itself');
  await set(ATTRIBUTE_PATHS.empty, 'user.empty-value', '');
  await set(ATTRIBUTE_PATHS.aclDir, 'user.dir', 'd');
  await execFileAsync('setfacl', ['-m', 'u:1000:rw,g:100:r', path.join(root, ATTRIBUTE_PATHS.aclFile)]);
  await execFileAsync('setfacl', ['-m', 'u:1001:rx', '-d', '-m', 'g:100:rx', path.join(root, ATTRIBUTE_PATHS.aclDir)]);
}

/** Entries given an old, whole-millisecond time (the rest get nanoseconds). */
const OLD_TIME_PATHS = ['nested/deeper/deepest/leaf.bin', 'nested/deeper'];

/** Times of the tree's awkward-time entries, in nanoseconds since the epoch. */
export const AWKWARD_TIMES: Record<string, bigint> = {
  'nested/with space.txt': 1_700_000_021_999_600_000n, // ...21.9996 s
  'nested/empty-too': 1_700_000_021_999_999_999n, // the last nanosecond of a second
  'empty.txt': 0n, // the epoch
  'script.sh': -1n, // a nanosecond before it
  'private.txt': 4_102_444_800_123_456_789n, // 2100-01-01, with nanoseconds
  'nested/link-to-leaf': 1_234_567_890_000_000_001n, // a symlink's own time
  'empty-dir': 1_600_000_000_000_000_500n, // a directory's
};

/** Gives every entry a time with nanoseconds (a sub-microsecond part included), the awkward ones
 *  their own, with `touch` (Node's utimes stops at the microsecond). Entries share a few times, so
 *  one touch sets many (setting an entry's time leaves its directory's alone). */
async function setNanosecondTimes(root: string): Promise<void> {
  const byTime = new Map<bigint, string[]>();
  let n = 0;
  const visit = async (rel: string) => {
    const abs = rel ? path.join(root, rel) : root;
    const st = await lstat(abs);
    if (st.isDirectory()) for (const name of await readdir(abs)) await visit(rel ? `${rel}/${name}` : name);
    if (OLD_TIME_PATHS.includes(rel)) return; // keep their old times
    const ns = AWKWARD_TIMES[rel] ?? 1_650_000_000_000_000_000n + BigInt(n++ % 7) * 86_400_123_456_789n + 1n;
    byTime.set(ns, [...(byTime.get(ns) ?? []), abs]);
  };
  await visit('');
  for (const [ns, paths] of byTime) {
    // touch reads "@S.F" as a signed decimal: -0.000000001 s is "@-0.000000001".
    const abs = ns < 0n ? -ns : ns;
    const text = `${ns < 0n ? '-' : ''}${abs / 1_000_000_000n}.${String(abs % 1_000_000_000n).padStart(9, '0')}`;
    await execFileAsync('touch', ['-h', '-d', `@${text}`, '--', ...paths]);
  }
}

export interface EntryDescription {
  type: 'file' | 'directory' | 'symlink' | 'fifo' | 'char-device' | 'block-device';
  /** A device's numbers, "major:minor". */
  device?: string;
  mode: number;
  /** Nanoseconds since the epoch, exact (a restore must bring back every digit). */
  mtimeNs: string;
  size: number;
  sha256?: string;
  target?: string;
  /** getfattr's lines for the entry ("name=0x..."), every namespace; absent when it has none. */
  xattrs?: string[];
  /** getfacl's entries (numeric ids) when the entry has an ACL beyond its mode; absent otherwise. */
  acl?: string[];
  /** A sparse file's data extents as lseek(SEEK_DATA / SEEK_HOLE) finds them ("offset:length,..."). */
  dataMap?: string;
  /** A file with several names: how many (st_nlink), and the first of them met in this tree (the
   *  same for every name of one inode, so a restore that copied instead of linking shows). */
  links?: { count: number; first: string };
}

/** A "# file: " path of getfattr / getfacl: bytes escaped as backslash and three octal digits. */
function unescapeToolPath(text: string): string {
  return Buffer.from(
    text.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))),
    'latin1',
  ).toString('utf8');
}

/** Runs a tool that prints a "# file: PATH" section per path over many paths; the sections by path. */
async function sectionsOf(tool: string, args: string[], paths: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < paths.length; i += 200) {
    const { stdout } = await execFileAsync(tool, [...args, ...paths.slice(i, i + 200)], {
      encoding: 'latin1',
      env: { ...process.env, LC_ALL: 'C' },
      maxBuffer: 64 * 1024 * 1024,
    });
    let lines: string[] | null = null;
    for (const line of stdout.split('\n')) {
      if (line.startsWith('# file: ')) out.set(unescapeToolPath(line.slice(8)), (lines = []));
      else if (line && !line.startsWith('#') && lines) lines.push(line);
    }
  }
  return out;
}

export async function describeTree(root: string): Promise<Map<string, EntryDescription>> {
  const out = new Map<string, EntryDescription>();
  const firstOfInode = new Map<bigint, string>();
  const visit = async (abs: string, rel: string) => {
    const st = await lstat(abs, { bigint: true });
    // The least path of the inode's names (readdir order differs between trees).
    const least = firstOfInode.get(st.ino);
    if (st.isFile() && st.nlink > 1n && (least === undefined || rel < least)) firstOfInode.set(st.ino, rel);
    const base = { mode: Number(st.mode) & 0o7777, mtimeNs: st.mtimeNs.toString(), size: 0 };
    if (st.isSymbolicLink()) out.set(rel, { ...base, type: 'symlink', target: await readlink(abs) });
    else if (st.isFile())
      out.set(rel, {
        ...base,
        type: 'file',
        size: Number(st.size),
        ...(st.nlink > 1n ? { links: { count: Number(st.nlink), first: String(st.ino) } } : {}),
        ...(st.blocks * 512n < st.size ? { dataMap: await dataMapOnDisk(abs) } : {}),
        sha256: await sha256OfFile(abs),
      });
    else if (st.isFIFO()) out.set(rel, { ...base, type: 'fifo' });
    else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const major = ((st.rdev >> 8n) & 0xfffn) | ((st.rdev >> 32n) & ~0xfffn);
      const minor = (st.rdev & 0xffn) | ((st.rdev >> 12n) & ~0xffn);
      out.set(rel, { ...base, type: st.isCharacterDevice() ? 'char-device' : 'block-device', device: `${major}:${minor}` });
    } else if (st.isDirectory()) {
      out.set(rel, { ...base, type: 'directory' });
      for (const name of await readdir(abs)) await visit(path.join(abs, name), rel ? `${rel}/${name}` : name);
    }
  };
  await visit(root, '');
  for (const e of out.values()) if (e.links) e.links.first = firstOfInode.get(BigInt(e.links.first))!;
  // Attributes of every entry, with the tools themselves (independent of the agent's code).
  const byAbs = new Map([...out.keys()].map((rel) => [rel ? path.join(root, rel) : root, rel]));
  const xattrs = await sectionsOf('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names'], [...byAbs.keys()]);
  const notLinks = [...byAbs].filter(([, rel]) => out.get(rel)!.type !== 'symlink').map(([abs]) => abs);
  const acls = await sectionsOf('getfacl', ['-p', '-n', '--skip-base'], notLinks);
  for (const [abs, lines] of xattrs) out.get(byAbs.get(abs)!)!.xattrs = lines;
  for (const [abs, lines] of acls) out.get(byAbs.get(abs)!)!.acl = lines;
  return out;
}

/** Streamed: the tree holds a 1 GiB (sparse) file. */
async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 }) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/** The file's data extents with lseek(SEEK_DATA / SEEK_HOLE), by a perl one-liner (Node has no SEEK_DATA). */
async function dataMapOnDisk(file: string): Promise<string> {
  const script =
    'open(my $f, "<", $ARGV[0]) or die; my $s = -s $f; my $p = 0; my @e; while ($p < $s) { my $d = sysseek($f, $p, 3); last unless defined $d; $d += 0; my $h = sysseek($f, $d, 4) + 0; push @e, "$d:" . ($h - $d); $p = $h } print join(",", @e)';
  return (await execFileAsync('perl', ['-e', script, file], { encoding: 'utf8' })).stdout;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
