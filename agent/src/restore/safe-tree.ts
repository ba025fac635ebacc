// Where a restore writes, walked by open directory descriptors so that no name is ever resolved
// through a symlink: a symlink swapped in for a directory, or for a file's temporary name, while a
// restore runs cannot carry a write, chmod, chown or utime outside the target.
//
// Node has no openat(2). Linux gives the same thing through /proc: `/proc/<pid>/fd/<dirfd>/<name>`
// looks `name` up inside the directory that descriptor holds (whatever has been renamed or
// swapped above it), and O_NOFOLLOW then refuses a symlink at `name` itself. rename, link,
// symlink, unlink and mknod never follow their last component, so they are safe on such paths;
// everything else (chmod, chown, times) is done on an opened descriptor. `<pid>` rather than
// `self`: the time helper (file-times.ts) is another process and uses the same paths.
import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { RestoreTargetError } from './restore-target.js';

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** Directory descriptors kept open at once; a restore in tape order jumps between directories. */
const MAX_OPEN_DIRS = 128;

/** The path through which `fd` (and `name` inside it, if given) is reached without following anything. */
export function fdPath(fd: number, name?: string): string {
  return `/proc/${process.pid}/fd/${fd}${name === undefined ? '' : `/${name}`}`;
}

export class SafeTree {
  private readonly dirs = new Map<string, FileHandle>();

  private constructor(
    readonly target: string,
    private readonly root: FileHandle,
  ) {}

  /**
   * Opens the target directory (creating it if needed). `isAllowed` is asked where the opened
   * directory really is, so a target swapped for a symlink after the policy check is still refused.
   */
  static async open(target: string, isAllowed: (real: string) => boolean): Promise<SafeTree> {
    await mkdir(target, { recursive: true });
    const root = await open(await realpath(target), DIR_FLAGS);
    const real = await realpath(fdPath(root.fd)).catch(async (err: Error) => {
      await root.close();
      throw new Error(`cannot find where the restore target is (is /proc mounted?): ${err.message}`);
    });
    if (!isAllowed(real)) {
      await root.close();
      throw new RestoreTargetError('RESTORE_TARGET_NOT_ALLOWED', `restore target ${target} leads to ${real}, outside the allowed roots`);
    }
    return new SafeTree(target, root);
  }

  /** The components of `dest` below the target (dest comes from mapRestorePath: no `.`, `..` or empty part). */
  private partsOf(dest: string): string[] {
    const rel = path.relative(this.target, dest);
    const parts = rel === '' ? [] : rel.split('/');
    if (parts.some((p) => p === '..' || p === '.' || p === '')) throw new RestoreTargetError('RESTORE_PATH_ESCAPES', `${dest} is not inside ${this.target}`);
    return parts;
  }

  /**
   * A descriptor of `dest`'s parent directory, the caller's own to close, and dest's name in it.
   * Missing directories are made (default mode; the plan's own come later); a symlink or
   * anything but a directory on the way is refused, never followed.
   */
  async parentOf(dest: string): Promise<{ parent: FileHandle; name: string }> {
    const parts = this.partsOf(dest);
    if (parts.length === 0) throw new RestoreTargetError('RESTORE_PATH_ESCAPES', `${dest} is the target itself`);
    const shared = await this.dirAt(parts.slice(0, -1), true);
    // Its own descriptor of the same directory (`.` inside it: a descriptor's /proc entry is itself a
    // link, which O_NOFOLLOW would refuse), so the cache closing the shared one cannot pull it away.
    return { parent: await open(fdPath(shared.fd, '.'), DIR_FLAGS), name: parts[parts.length - 1] };
  }

  /** A descriptor of the directory `dest` itself, made if missing. The tree's own: used at once, not closed. */
  async directory(dest: string, create: boolean): Promise<FileHandle> {
    return this.dirAt(this.partsOf(dest), create);
  }

  private async dirAt(parts: string[], create: boolean): Promise<FileHandle> {
    let here = this.root;
    for (let i = 0; i < parts.length; i++) {
      const key = parts.slice(0, i + 1).join('/');
      const cached = this.dirs.get(key);
      if (cached) {
        here = cached;
        continue;
      }
      const at = fdPath(here.fd, parts[i]);
      let next: FileHandle;
      try {
        next = await openDir(at);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw await refusal(err, at, key);
        // The default mode (umask applies), as before: a directory the plan has gets its own mode
        // at the end; one it lacks (a parent of selected files) keeps this.
        await mkdir(at).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw e;
        });
        next = await openDir(at).catch(async (e: unknown) => {
          throw await refusal(e, at, key);
        });
      }
      await this.remember(key, next);
      here = next;
    }
    return here;
  }

  private async remember(key: string, handle: FileHandle): Promise<void> {
    if (this.dirs.size >= MAX_OPEN_DIRS) {
      // The oldest first: a restore in tape order seldom comes back to a directory it left long ago.
      const [oldKey, old] = this.dirs.entries().next().value as [string, FileHandle];
      this.dirs.delete(oldKey);
      await old.close();
    }
    this.dirs.set(key, handle);
  }

  async close(): Promise<void> {
    for (const handle of this.dirs.values()) await handle.close().catch(() => undefined);
    this.dirs.clear();
    await this.root.close().catch(() => undefined);
  }
}

function openDir(at: string): Promise<FileHandle> {
  return open(at, DIR_FLAGS);
}

/** A symlink where a directory should be (ELOOP, or ENOTDIR with O_DIRECTORY): refused, as an
 *  escape. Anything else (a file in the way) stays the entry's own errno failure. */
async function refusal(err: unknown, at: string, where: string): Promise<unknown> {
  const code = (err as NodeJS.ErrnoException).code;
  const isLink =
    code === 'ELOOP' ||
    (code === 'ENOTDIR' &&
      (await lstat(at).then(
        (st) => st.isSymbolicLink(),
        () => false,
      )));
  return isLink ? new RestoreTargetError('RESTORE_PATH_ESCAPES', `${where} in the target is a symlink: not followed`) : err;
}

/** Flags of a temporary file: made new, never through a symlink. */
export const NEW_FILE_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** Flags to open an entry the restore made, never through a symlink swapped in for it. */
export const OWN_FILE_FLAGS = constants.O_RDWR | constants.O_NOFOLLOW;
