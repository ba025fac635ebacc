// CPU accounting for the benchmarks: Node's own and the local PostgreSQL server's, so a figure can be
// given that other load on a shared machine distorts less than wall time.
import { readdirSync, readFileSync } from 'node:fs';
import type { FilesFixture } from '../../integration/files/files-fixture.js';

/** CPU seconds used so far by the PostgreSQL server (postmaster and its children), read from Linux
 *  /proc; undefined when the server is not a local process we can see. */
export function postgresCpuSeconds(postmaster: number | undefined): number | undefined {
  if (postmaster === undefined) return undefined;
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pid) !== postmaster && Number(fields[1]) !== postmaster) continue;
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / 100;
}

export async function postmasterPid(f: FilesFixture): Promise<number | undefined> {
  try {
    const { rows } = await f.prisma.pool.query<{ data_directory: string }>('SHOW data_directory');
    return Number(readFileSync(`${rows[0].data_directory}/postmaster.pid`, 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
