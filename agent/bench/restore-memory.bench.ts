// Restore memory benchmark (issue 15: a restore of 2 million entries with the agent under 300 MB
// RSS above idle). The agent's real restore job (runRestoreJob) is fed a streamed plan of N entries
// (default 2,000,000: empty files and symlinks in 20,000 directories, in pages of 5,000 as
// RestoreItems serves them) and restores them to disk. What grows with the number of entries on the
// agent is measured here: paging, per-entry bookkeeping, the directories kept for the times pass;
// reading tape streams file by file and is the write-path bench's business. Printed beside a
// baseline of the same run: the same tree made by a plain loop of fs calls (its time and memory).
// Usage: node agent/dist/bench/restore-memory.bench.js [--entries 2000000]   (FERRITE_BENCH_DIR: where)
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileType, RestoreItem, RestoreSpec, type RestoreItemsResponse } from '@ferrite/proto';
import type { AgentConfig } from '../src/config/agent-config.js';
import type { TapeDrive } from '../src/drives/drive.js';
import { JobReporter } from '../src/jobs/job-reporter.js';
import type { JobContext } from '../src/jobs/job-context.js';
import { runRestoreJob } from '../src/jobs/restore-job.js';
import { createLogger } from '../src/logger.js';
import type { ServerClient } from '../src/session/server-client.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const ENTRIES = arg('entries', 2_000_000);
const DIRECTORIES = Math.max(1, Math.floor(ENTRIES / 100));
const PAGE = 5000;
const MiB = 1024 * 1024;
const TARGET_MIB = 300;

/** Entry i of the plan: an empty file, or every tenth a symlink, in directory i % DIRECTORIES. */
function entry(i: number): { dir: string; name: string; symlink: boolean } {
  return { dir: `d${String(i % DIRECTORIES).padStart(5, '0')}`, name: `e${i}`, symlink: i % 10 === 0 };
}

async function* pages(source: string): AsyncGenerator<RestoreItemsResponse> {
  for (let start = 0; start < ENTRIES; start += PAGE) {
    const items: RestoreItem[] = [];
    for (let i = start; i < Math.min(ENTRIES, start + PAGE); i++) {
      const e = entry(i);
      items.push(
        RestoreItem.fromPartial({
          path: `${source}/${e.dir}/${e.name}`,
          type: e.symlink ? FileType.FILE_TYPE_SYMLINK : FileType.FILE_TYPE_FILE,
          mode: 0o644,
          size: 0,
          mtimeMs: 1_700_000_000_000 + i,
          mtimeNanos: 123_456,
          symlinkTarget: e.symlink ? '../target' : '',
        }),
      );
    }
    yield { items };
  }
}

/** Peak RSS above `idle` while `work` runs, sampled every 50 ms. */
async function measured(idle: number, work: () => Promise<unknown>): Promise<{ seconds: number; rssMiB: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const t0 = process.hrtime.bigint();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, rssMiB: (peak - idle) / MiB };
}

function removeTree(dir: string): void {
  execFileSync('rm', ['-rf', dir]);
}

const nullServer = {
  reportJobEvent: async () => ({ accepted: true, cancelRequested: false }),
  reportFiles: async () => ({ accepted: true, stored: 0 }),
} as unknown as ServerClient;

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(process.env.FERRITE_BENCH_DIR ?? os.tmpdir(), 'ferrite-restore-bench-'));
  const log = createLogger('silent');
  const config = { name: 'bench', hostname: 'bench', allowedRestoreRoots: [tmp], progressIntervalMs: 500 } as AgentConfig;
  const source = '/srv/bench-source';
  try {
    global.gc?.();
    const idle = process.memoryUsage().rss;

    // Baseline: the same tree with plain fs calls, one entry at a time.
    const plain = path.join(tmp, 'plain');
    const baseline = await measured(idle, async () => {
      for (let d = 0; d < DIRECTORIES; d++) await mkdir(path.join(plain, `d${String(d).padStart(5, '0')}`), { recursive: true });
      for (let i = 0; i < ENTRIES; i++) {
        const e = entry(i);
        const p = path.join(plain, e.dir, e.name);
        if (e.symlink) await symlink('../target', p);
        else await writeFile(p, '', { mode: 0o644 });
      }
    });
    // rm -rf, not fs.rm: Node's recursive rm of a big tree takes hundreds of MB, and RSS never
    // shrinks back, so it would be counted against the restore measured next.
    removeTree(plain);
    global.gc?.();

    const target = path.join(tmp, 'restored');
    const spec = RestoreSpec.fromPartial({
      targetDirectory: target,
      stripPrefix: source,
      overwrite: false,
      streamItems: true,
      entriesTotal: ENTRIES,
      bytesTotal: 0,
      tapes: [],
    });
    const ctx: JobContext = {
      jobId: 'bench-restore',
      attempt: 1,
      agentName: 'bench',
      drive: { identity: { name: 'none' } } as unknown as TapeDrive,
      library: null,
      log,
      config,
      reporter: new JobReporter(nullServer, { agentId: () => 'bench', jobId: 'bench-restore', attempt: 1 }, 500, log),
      signal: new AbortController().signal,
      restoreItems: () => pages(source),
    };
    let summary = '';
    const restore = await measured(idle, async () => {
      summary = await runRestoreJob(ctx, spec);
    });

    const rate = (s: number) => Math.round(ENTRIES / s).toLocaleString('en');
    console.log(`restore of ${ENTRIES.toLocaleString('en')} entries in ${DIRECTORIES.toLocaleString('en')} directories (${summary})`);
    console.log(
      `  agent restore job: ${restore.seconds.toFixed(1)} s (${rate(restore.seconds)} entries/s), peak RSS +${restore.rssMiB.toFixed(0)} MiB above idle`,
    );
    console.log(
      `  baseline (plain fs calls, same tree): ${baseline.seconds.toFixed(1)} s (${rate(baseline.seconds)} entries/s), peak RSS +${baseline.rssMiB.toFixed(0)} MiB`,
    );
    console.log(`  target: < ${TARGET_MIB} MiB above idle: ${restore.rssMiB < TARGET_MIB ? 'met' : 'NOT met'}`);
  } finally {
    removeTree(tmp);
  }
}

await main();
