// Write-path benchmark (design §7): a backup job onto an emulated drive (no mechanical delays) versus
// plain `cp` of the same data on the same disk, measured in the same run.
//   large files: SHA-256 + write must reach >= 90% of cp's rate
//   small files: >= 20,000 files/s of 4 KiB packed into tar bundles
//   age encryption: encrypt and decrypt throughput beside a plain copy (age-stream.bench.ts)
// Usage: node agent/dist/bench/write-path.bench.js [--large-mib 1024] [--small-files 20000] [--age-mib 256]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { openEmulatedLibrary } from '../src/drives/emulated/index.js';
import { JobReporter } from '../src/jobs/job-reporter.js';
import { runBackupJob } from '../src/jobs/backup-job.js';
import { runFormatJob } from '../src/jobs/format-job.js';
import type { JobContext } from '../src/jobs/job-context.js';
import type { ServerClient } from '../src/session/server-client.js';
import type { AgentConfig } from '../src/config/agent-config.js';
import { createLogger } from '../src/logger.js';
import { benchAgeStream } from './age-stream.bench.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const LARGE_MIB = arg('large-mib', 1024);
const SMALL_FILES = arg('small-files', 20000);

const nullServer = {
  reportJobEvent: async () => ({ accepted: true, cancelRequested: false }),
  reportFiles: async () => ({ accepted: true, stored: 0 }),
} as unknown as ServerClient;

async function makeContext(tmp: string, name: string): Promise<(job: string) => JobContext> {
  const { library, drives } = await openEmulatedLibrary({
    name,
    dir: path.join(tmp, name),
    slots: 2,
    drives: 1,
    generation: 9,
    capacityBytes: 64 * 1024 ** 3,
    barcodes: ['BEN001L9'],
  });
  const log = createLogger('silent');
  const config = { name: 'bench', hostname: 'bench', allowedRestoreRoots: [tmp], progressIntervalMs: 500 } as AgentConfig;
  const ctx = (jobId: string): JobContext => ({
    jobId,
    attempt: 1,
    agentName: 'bench',
    drive: drives[0],
    library,
    log,
    config,
    reporter: new JobReporter(nullServer, { agentId: () => 'bench', jobId, attempt: 1 }, 500, log),
    signal: new AbortController().signal,
  });
  await runFormatJob(ctx('format'), { barcode: 'BEN001L9', force: false, pool: '' });
  return ctx;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function sync(): void {
  execFileSync('sync');
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(process.env.FERRITE_BENCH_DIR ?? os.tmpdir(), 'ferrite-bench-'));
  try {
    // --- large files ---
    const largeDir = path.join(tmp, 'large-src');
    await mkdir(largeDir);
    const out = createWriteStream(path.join(largeDir, 'big.bin'));
    const chunk = randomBytes(8 * 1024 * 1024);
    for (let i = 0; i < LARGE_MIB / 8; i++) if (!out.write(chunk)) await once(out, 'drain');
    out.end();
    await once(out, 'finish');
    sync();
    const bytes = LARGE_MIB * 1024 * 1024;

    let t = process.hrtime.bigint();
    execFileSync('cp', [path.join(largeDir, 'big.bin'), path.join(tmp, 'cp-copy.bin')]);
    sync();
    const cpRate = bytes / seconds(t) / 1e6;
    await rm(path.join(tmp, 'cp-copy.bin'));

    const largeCtx = await makeContext(tmp, 'lib-large');
    t = process.hrtime.bigint();
    await runBackupJob(largeCtx('bench-large'), {
      barcode: 'BEN001L9',
      paths: [largeDir],
      excludes: [],
      smallFileThreshold: 0,
      bundleTargetBytes: 0,
      checkpointBytes: 0,
      checkpointFiles: 0,
      runId: '',
    });
    sync();
    const ferriteRate = bytes / seconds(t) / 1e6;
    await rm(path.join(tmp, 'lib-large'), { recursive: true });

    // --- small files ---
    const smallDir = path.join(tmp, 'small-src');
    for (let d = 0; d < Math.ceil(SMALL_FILES / 1000); d++) {
      await mkdir(path.join(smallDir, `d${d}`), { recursive: true });
      for (let i = 0; i < 1000 && d * 1000 + i < SMALL_FILES; i++) await writeFile(path.join(smallDir, `d${d}`, `f${i}.dat`), randomBytes(4096));
    }
    sync();
    t = process.hrtime.bigint();
    execFileSync('cp', ['-r', smallDir, path.join(tmp, 'cp-small')]);
    sync();
    const cpFiles = SMALL_FILES / seconds(t);
    const smallCtx = await makeContext(tmp, 'lib-small');
    t = process.hrtime.bigint();
    await runBackupJob(smallCtx('bench-small'), {
      barcode: 'BEN001L9',
      paths: [smallDir],
      excludes: [],
      smallFileThreshold: 0,
      bundleTargetBytes: 0,
      checkpointBytes: 0,
      checkpointFiles: 0,
      runId: '',
    });
    sync();
    const ferriteFiles = SMALL_FILES / seconds(t);

    const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(0)}%`;
    console.log(
      `machine: ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (other work skews both sides)`,
    );
    console.log(`write path, large file (${LARGE_MIB} MiB, SHA-256 + write to emulated tape)`);
    console.log(`  baseline cp:  ${cpRate.toFixed(0)} MB/s`);
    console.log(
      `  ferrite:      ${ferriteRate.toFixed(0)} MB/s  (${pct(ferriteRate, cpRate)} of cp; target >= 90%; LTO-9 needs >= 177 MB/s to keep streaming)`,
    );
    console.log(`small files (${SMALL_FILES} x 4 KiB into tar bundles)`);
    console.log(`  baseline cp -r: ${cpFiles.toFixed(0)} files/s`);
    console.log(`  ferrite:        ${ferriteFiles.toFixed(0)} files/s  (target >= 20,000 files/s)`);
    await benchAgeStream(arg('age-mib', 256));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
