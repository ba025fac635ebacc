// Gives restored entries their times to the nanosecond. Node cannot: `utimes`/`lutimes` take a
// float of seconds and libuv truncates it to the microsecond, so a file's `.123456789 s` would come
// back as `.123456000 s`. The kernel call that can, utimensat(2), is reached through a small helper
// process for the whole restore: Perl, which every Debian/Ubuntu system carries (perl-base is
// Essential), calling the system call directly with the exact timespec. Where the helper cannot run
// (no perl, or a CPU whose system call number we do not know), times are set with Node to the
// microsecond and the job log says so once.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { lutimes, utimes } from 'node:fs/promises';
import { constants } from 'node:os';
import { toTimespec } from '../backup/file-time.js';

/** utimensat's system call number per Node `process.arch` (Linux). */
const UTIMENSAT: Record<string, number> = { x64: 280, arm64: 88, ia32: 320, arm: 348, ppc64: 304, s390x: 315, riscv64: 88, loong64: 88 };
const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;

// Reads NUL-terminated requests "flags TAB sec TAB nsec TAB path" and answers each with a line: 0,
// or the errno. atime is set to mtime (what a restore has to give). `q` packs a 64-bit integer,
// which is what struct timespec's two longs are on every 64-bit Linux.
const HELPER = `
use strict; $| = 1; local $/ = "\\0";
my $nr = shift @ARGV;
while (defined(my $req = <STDIN>)) {
  chomp $req;
  my ($flags, $sec, $nsec, $path) = split /\\t/, $req, 4;
  my $ts = pack('q4', $sec, $nsec, $sec, $nsec);
  my $r = syscall($nr, ${AT_FDCWD}, $path, $ts, $flags + 0);
  print(($r == 0 ? 0 : ($! + 0)) . "\\n");
}`;

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

export interface TimeSetter {
  /** Sets atime and mtime of `path` (of the link itself when `symlink`) to ms * 1e6 + nanos ns. */
  set(path: string, ms: number, nanos: number, symlink: boolean): Promise<void>;
  /** Whether times are exact to the nanosecond (false: to the microsecond). */
  readonly exact: boolean;
  close(): Promise<void>;
}

/** Starts the helper; falls back to microsecond times when it cannot run. */
export async function openTimeSetter(): Promise<TimeSetter> {
  const nr = process.platform === 'linux' ? UTIMENSAT[process.arch] : undefined;
  if (nr === undefined) return new MicrosecondTimes();
  const helper = await PerlUtimensat.start(nr).catch(() => null);
  return helper ?? new MicrosecondTimes();
}

class PerlUtimensat implements TimeSetter {
  readonly exact = true;
  private readonly waiting: Array<{ resolve: (line: string) => void; reject: (err: Error) => void }> = [];
  private buffered = '';
  private failure: Error | null = null;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        this.waiting.shift()?.resolve(line);
      }
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const w of this.waiting.splice(0)) w.reject(this.failure);
    };
    child.on('error', fail);
    child.on('exit', (code, signal) => fail(new Error(`the time helper exited (${signal ?? code})`)));
    child.stdin.on('error', fail);
  }

  static async start(nr: number): Promise<PerlUtimensat> {
    const child = spawn('perl', ['-e', HELPER, String(nr)], { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    const helper = new PerlUtimensat(child);
    // Prove it works (perl present, system call number right) on something harmless: a time of
    // "now" on a path that does not exist must answer ENOENT.
    const probe = await helper.request(0, 0n, 0n, '/nonexistent/ferrite-time-probe').catch(() => null);
    if (probe !== String(constants.errno.ENOENT)) {
      await helper.close();
      throw new Error(`time helper answered ${probe}`);
    }
    return helper;
  }

  async set(path: string, ms: number, nanos: number, symlink: boolean): Promise<void> {
    const { sec, nsec } = toTimespec(ms, nanos);
    const answer = await this.request(symlink ? AT_SYMLINK_NOFOLLOW : 0, sec, nsec, path);
    if (answer === '0') return;
    const errno = Number(answer);
    const code = ERRNO_NAMES.get(errno) ?? `errno ${answer}`;
    throw Object.assign(new Error(`${code}: cannot set the times of ${path}`), { code, errno, syscall: 'utimensat', path });
  }

  private request(flags: number, sec: bigint, nsec: bigint, path: string): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${flags}\t${sec}\t${nsec}\t${path}\0`);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await exited;
  }
}

/** Node's own calls: exact to the microsecond. Half a microsecond is added so libuv's truncation of
 *  the float lands on the intended microsecond rather than one below it. */
class MicrosecondTimes implements TimeSetter {
  readonly exact = false;

  async set(path: string, ms: number, nanos: number, symlink: boolean): Promise<void> {
    const seconds = (ms + (Math.floor(nanos / 1000) * 1000 + 500) / 1e6) / 1000;
    await (symlink ? lutimes : utimes)(path, seconds, seconds);
  }

  async close(): Promise<void> {}
}
