// A catalog server killed with SIGKILL leaves its embedded PostgreSQL running, orphaned (its parent
// is gone), holding the data directory and the port: the next start of the server could not start
// its own. Before starting, such an orphan is told to shut down (SIGINT: PostgreSQL's fast shutdown,
// which is clean: it rolls back open transactions and writes a checkpoint) and waited for. A
// postmaster whose parent is still a live process other than init (another Ferrite server using
// the same directory) is left alone; starting then fails with the usual message. Linux only (/proc).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const SHUTDOWN_WAIT_MS = 60_000;

/** Stops the orphaned postmaster of `dataDir`, if there is one; whether it did. */
export async function stopOrphanedPostmaster(dataDir: string, log: (message: string) => void = () => {}): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  const pidFile = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => null);
  const pid = Number(pidFile?.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid)) return false;
  const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  const dataArg = cmdline[cmdline.indexOf('-D') + 1];
  if (!path.basename(cmdline[0] ?? '').startsWith('postgres') || !dataArg || path.resolve(dataArg) !== path.resolve(dataDir)) return false;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command name (which is in parentheses and may hold spaces): state, then ppid.
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  if (ppid > 1 && isAlive(ppid) && !(await isInit(ppid))) return false;
  log(`stopping PostgreSQL ${pid}, left running on ${dataDir} by a server that did not stop (it was killed)`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + SHUTDOWN_WAIT_MS;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL ${pid} on ${dataDir} did not stop within ${SHUTDOWN_WAIT_MS / 1000} s; stop it and start again`);
    await sleep(100);
  }
  return true;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A subreaper that adopted the orphan (a container's init, systemd --user) counts as no parent. */
async function isInit(pid: number): Promise<boolean> {
  const name = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
  return ['init', 'systemd', 'tini', 'dumb-init'].includes(name);
}
