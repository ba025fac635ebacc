// Mounting a cartridge the way someone without Ferrite would: the real `ltfs` on the cartridge's
// LTFS `file`-backend directory. Run in the foreground as our child so that its exit (after
// `fusermount -u`) tells when LTFS has let go of the cartridge.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { waitFor } from './stack.js';

const execFileAsync = promisify(execFile);

async function isMounted(dir: string): Promise<boolean> {
  const table = await readFile('/proc/self/mounts', 'utf8');
  return table.split('\n').some((line) => line.split(' ')[1]?.replace(/\\040/g, ' ') === dir);
}

export interface DirectMount {
  readonly mountPoint: string;
  /** Unmounts and waits for ltfs to exit; safe to call twice and after a failed mount. */
  unmount(): Promise<void>;
}

/** Mounts the LTFS file-backend tape in `tapeDir` read-only on `mountPoint` with the plain ltfs tool. */
export async function mountWithLtfs(tapeDir: string, mountPoint: string): Promise<DirectMount> {
  await mkdir(mountPoint, { recursive: true });
  const daemon: ChildProcess = spawn('ltfs', ['-f', '-o', 'tape_backend=file', '-o', `devname=${tapeDir}`, '-o', 'ro', mountPoint], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  daemon.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  daemon.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => {
    if (daemon.exitCode !== null) resolve();
    else daemon.once('exit', () => resolve());
  });
  const unmount = async () => {
    if (await isMounted(mountPoint)) await execFileAsync('fusermount', ['-u', mountPoint]);
    if (daemon.exitCode === null && daemon.signalCode === null) {
      const timer = setTimeout(() => daemon.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await waitFor(
      `ltfs to mount ${tapeDir} on ${mountPoint}`,
      async () => {
        if (daemon.exitCode !== null) throw new Error(`ltfs exited with ${daemon.exitCode}: ${output}`);
        return isMounted(mountPoint);
      },
      60_000,
    );
  } catch (err) {
    await unmount().catch(() => undefined);
    throw err;
  }
  return { mountPoint, unmount };
}
