// Finds the data extents of sparse files with lseek(SEEK_DATA) / lseek(SEEK_HOLE): Node has no
// SEEK_DATA, so one perl process per backup answers for every candidate (perl's sysseek passes
// whence 3 and 4 to lseek(2); perl-base is part of every Debian/Ubuntu system, as for file-times.ts).
// Only files whose allocated blocks are fewer than their size can have holes, so only those are
// probed; a file system without SEEK_DATA reports the whole file as data, which is simply not sparse.
import { spawn } from 'node:child_process';
import type { DataExtent } from '@ferrite/proto';

// Reads NUL-terminated paths; answers each with a line: "offset:length,..." (possibly empty: all
// hole), or "!errno". O_NOFOLLOW | O_NONBLOCK as the backup opens sources (source-file.ts).
const PROBE = `
use strict; use Fcntl; $| = 1; local $/ = "\\0";
while (defined(my $p = <STDIN>)) {
  chomp $p;
  my $fh;
  if (!sysopen($fh, $p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)) { print "!" . ($! + 0) . "\\n"; next; }
  my $size = -s $fh; my @ext; my $pos = 0;
  while ($pos < $size) {
    my $d = sysseek($fh, $pos, 3); last unless defined $d; $d += 0;
    my $h = sysseek($fh, $d, 4); $h = defined $h ? $h + 0 : $size;
    $h = $size if $h > $size;
    push @ext, "$d:" . ($h - $d);
    $pos = $h;
  }
  close $fh;
  print join(",", @ext) . "\\n";
}`;

/** Whether a file's allocation says it may have holes (st_blocks counts 512-byte units). */
export function mayBeSparse(size: number, blocks: number | undefined): boolean {
  return blocks !== undefined && size > 0 && blocks * 512 < size;
}

/**
 * The data map to record from a probe's answer, or null when the file is not sparse after all
 * (no hole) or could not be probed. A file all hole gets its last byte as its one extent: a map
 * always holds some data, and that byte (a zero) restores it to its size.
 */
export function dataMapOf(answer: string, size: number): DataExtent[] | null {
  if (answer.startsWith('!')) return null;
  const extents = answer
    ? answer.split(',').map((pair) => {
        const [offset, length] = pair.split(':').map(Number);
        return { offset, length };
      })
    : [];
  const data = extents.reduce((n, e) => n + e.length, 0);
  if (extents.length === 0) return [{ offset: size - 1, length: 1 }];
  return data < size ? extents : null;
}

/** The probe's answers for `paths`, one line each, in order; null when perl cannot run. */
export async function probeDataMaps(paths: readonly string[]): Promise<string[] | null> {
  if (paths.length === 0) return [];
  return new Promise((resolve) => {
    const child = spawn('perl', ['-e', PROBE], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (out += c));
    child.once('error', () => resolve(null));
    child.once('close', (code) => {
      const lines = out.split('\n').slice(0, paths.length);
      resolve(code === 0 && lines.length === paths.length ? lines : null);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(paths.map((p) => `${p}\0`).join(''));
  });
}
