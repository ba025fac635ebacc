// Restore plan benchmark (issue 15): a restore of N entries (default 2 million) is planned and read
// back the way a restore job does it: the server writes the plan page by page from a database
// cursor (FilesService.resolveRestore), the agent's side reads it tape by tape, page by page
// (RestorePlanStore.pages, what RestoreItems serves). It prints the time and the peak memory of
// each step, beside a baseline measured in the same run: the same selection loaded whole
// and planned in memory, as restores were planned before (every version, every placement, one
// plan object, which the job row then had to hold).
//
// Run: npm run bench:restore-plan -w @ferrite/catalog-server [-- <entries>]
// It creates and drops its own database: on FERRITE_TEST_DATABASE_URL when set, otherwise on an
// embedded PostgreSQL it starts in a temporary directory and removes afterwards.
import { performance } from 'node:perf_hooks';
import { latestUnderQuery, type FileVersionRow } from '../../../src/modules/files/file-search.repository.js';
import { buildRestorePlan } from '../../../src/modules/files/restore-plan.js';
import { createAgent, createBackupJob, createFilesFixture, createTape } from '../../integration/files/files-fixture.js';
import { benchDatabase } from './bench-database.js';
import { FILES_PER_TAPE, HOSTS, records, tapeBarcode } from './catalog-shapes.js';

const entries = Number(process.argv[2] ?? 2_000_000);
const BATCH = 5000;
const MiB = 1024 * 1024;
if (!Number.isSafeInteger(entries) || entries < BATCH) throw new Error(`entries must be a whole number >= ${BATCH}`);

const database = await benchDatabase();

/** JavaScript memory in use (heap and buffers): unlike RSS, it falls again when a step lets go. */
const inUse = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

/**
 * Runs `work` after a GC, sampling every 20 ms; its time, its peak JS memory above what was in use
 * when it started, and its peak RSS above `idle` (RSS never shrinks back, so a later step's RSS
 * includes what earlier steps grew: compare steps by their JS memory).
 */
async function measured<T>(idle: number, work: () => Promise<T>): Promise<{ result: T; seconds: number; peakMiB: number; rssMiB: number }> {
  global.gc?.();
  const base = inUse();
  let peak = base;
  let rss = process.memoryUsage().rss;
  const sample = () => {
    peak = Math.max(peak, inUse());
    rss = Math.max(rss, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 20);
  const t0 = performance.now();
  try {
    const result = await work();
    sample();
    return { result, seconds: (performance.now() - t0) / 1000, peakMiB: (peak - base) / MiB, rssMiB: (rss - idle) / MiB };
  } finally {
    clearInterval(timer);
  }
}

const f = await createFilesFixture('bench_restore_plan');
try {
  const host = HOSTS[0];
  const agentId = await createAgent(f, host);
  for (let i = 0; i < entries; i += FILES_PER_TAPE) await createTape(f, tapeBarcode(0, 0, i));
  const job = await createBackupJob(f, agentId, host, ['/']);
  const t0 = performance.now();
  for (let from = 0, seq = 1; from < entries; from += BATCH, seq++) {
    const batch = records(0, 0, from, Math.min(entries, from + BATCH), 'h0');
    await f.files.ingestBatch({ jobId: job.jobId, attempt: 1, batchSeq: seq, agentId, records: batch, manifestPath: '' });
  }
  console.log(`catalog: ${entries} versions of ${host} ingested in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

  global.gc?.();
  const idle = process.memoryUsage().rss;
  const planned = await measured(idle, () => f.files.resolveRestore({ host, pathPrefix: '/' }));
  const plan = planned.result;
  console.log(
    `streamed plan written: ${plan.entryCount} entries on ${plan.tapes.length} tapes in ${planned.seconds.toFixed(1)} s, ` +
      `peak JS memory ${planned.peakMiB.toFixed(0)} MiB (RSS ${planned.rssMiB.toFixed(0)} MiB above idle)`,
  );
  const read = await measured(idle, async () => {
    let n = 0;
    for (const tape of [...plan.tapes.map((t) => t.barcode), '']) for await (const page of f.plans.pages(plan.planId!, tape)) n += page.length;
    return n;
  });
  if (read.result !== plan.entryCount) throw new Error(`read ${read.result} entries back, planned ${plan.entryCount}`);
  console.log(
    `streamed plan read back in tape order: ${read.result} entries in ${read.seconds.toFixed(1)} s, peak JS memory ${read.peakMiB.toFixed(0)} MiB (RSS ${read.rssMiB.toFixed(0)} MiB above idle)`,
  );

  global.gc?.();
  const baseline = await measured(idle, async () => {
    const hostId = (await f.searchRepo.hostId(host))!;
    // One page holding every row: the selection whole in memory.
    let versions: FileVersionRow[] = [];
    for await (const all of f.searchRepo.versionPages(latestUnderQuery(hostId, '/'), entries + 1)) versions = all;
    // Placements in slices: one statement for 2 million contents outlives the statement timeout.
    const contentIds = [...new Set(versions.map((v) => v.contentId!).filter(Boolean))];
    const placements = [];
    for (let i = 0; i < contentIds.length; i += 50_000) placements.push(...(await f.searchRepo.placementsOf(contentIds.slice(i, i + 50_000))));
    return buildRestorePlan(host, versions, placements);
  });
  const whole = baseline.result.tapes.reduce((n, t) => n + t.items.length, 0) + baseline.result.metadataItems.length;
  console.log(
    `baseline (same run): the same selection planned whole in memory: ${whole} entries in ${baseline.seconds.toFixed(1)} s, ` +
      `peak JS memory ${baseline.peakMiB.toFixed(0)} MiB (RSS ${baseline.rssMiB.toFixed(0)} MiB above idle; target for the streamed plan: < 300 MiB)`,
  );
} finally {
  await f.close();
  await database.stop();
}
