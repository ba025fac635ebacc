// Shared setup for the files integration tests: a fresh migrated database, the files services wired
// by hand (no Nest container needed), and helpers that insert the agent/tape/job rows ingest needs
// and build agent-style file records.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { FileType, type FileRecord, type TapeLocation } from '@ferrite/proto';
import { pino } from 'pino';
import { FerriteError } from '../../../src/common/errors.js';
import { loadServerConfig } from '../../../src/config/config.js';
import { PrismaService } from '../../../src/database/prisma.service.js';
import { FileSearchRepository } from '../../../src/modules/files/file-search.repository.js';
import { FileSearchService } from '../../../src/modules/files/file-search.service.js';
import { FilesRepository } from '../../../src/modules/files/files.repository.js';
import { FilesService } from '../../../src/modules/files/files.service.js';
import type { ResolvedRestore, ResolvedVerify, RestoreSelection, VerifySelection } from '../../../src/modules/files/files.contract.js';
import { PointInTimeRepository } from '../../../src/modules/files/point-in-time.repository.js';
import { PointInTimeService } from '../../../src/modules/files/point-in-time.service.js';
import { RestorePlanStore } from '../../../src/modules/files/restore-plan.store.js';
import { RestorePlanWriter } from '../../../src/modules/files/restore-plan.writer.js';
import { TapeAvailabilityRepository } from '../../../src/modules/files/tape-availability.repository.js';
import { VerifyPlanRepository } from '../../../src/modules/files/verify-plan.repository.js';
import { TapeLossRepository } from '../../../src/modules/files/tape-loss.repository.js';
import { RunChangesRepository } from '../../../src/modules/runs/run-changes.repository.js';
import { RunsRepository } from '../../../src/modules/runs/runs.repository.js';
import { RunsService } from '../../../src/modules/runs/runs.service.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';

export interface FilesFixture {
  db: TestDatabase;
  prisma: PrismaService;
  files: FilesService;
  search: FileSearchService;
  /** The repository behind `search` (tests shrink its scan window). */
  searchRepo: FileSearchRepository;
  runs: RunsService;
  pointInTime: PointInTimeService;
  /** Restore plans as stored (resolveRestore writes them; read them with plans.pages). */
  plans: RestorePlanStore;
  /** resolveRestore, with the stored plan read back into its tapes and metadata items, in the
   *  order the agent reads them. */
  restorePlan(selection: RestoreSelection): Promise<ResolvedRestore>;
  /** resolveVerify, with a stored plan read back into its tapes' items. */
  verifyPlan(selection: VerifySelection): Promise<ResolvedVerify>;
  close(): Promise<void>;
}

/** A fresh database, or (`existingUrl`, for the catalog benchmark) one that is kept afterwards. */
export async function createFilesFixture(label: string, existingUrl?: string): Promise<FilesFixture> {
  const db: TestDatabase = existingUrl ? { url: existingUrl, drop: async () => {} } : await createTestDatabase(label);
  const prisma = new PrismaService(db.url, loadServerConfig({}));
  const runs = new RunsService(prisma, new RunsRepository(prisma), new RunChangesRepository(prisma));
  const searchRepo = new FileSearchRepository(prisma);
  const pointInTime = new PointInTimeService(new PointInTimeRepository(prisma), searchRepo);
  const plans = new RestorePlanStore(prisma, pino({ level: 'silent' }));
  const tapeAvailability = new TapeAvailabilityRepository(prisma);
  const verifyPlan = new VerifyPlanRepository(prisma);
  const files = new FilesService(
    new FilesRepository(prisma),
    searchRepo,
    pointInTime,
    tapeAvailability,
    verifyPlan,
    new RestorePlanWriter(searchRepo, tapeAvailability, plans, verifyPlan),
    plans,
  );
  return {
    db,
    prisma,
    runs,
    files,
    plans,
    async restorePlan(selection) {
      const resolved = await files.resolveRestore(selection);
      const read = async (barcode: string) => {
        const items = [];
        for await (const page of plans.pages(resolved.planId!, barcode, 3)) items.push(...page);
        return items;
      };
      const tapes = [];
      for (const t of resolved.tapes) tapes.push({ barcode: t.barcode, items: await read(t.barcode) });
      return { ...resolved, tapes, metadataItems: await read('') };
    },
    async verifyPlan(selection) {
      const resolved = await files.resolveVerify(selection);
      const tapes = [];
      for (const t of resolved.tapes) {
        const items = [];
        for await (const page of files.verifyItems(t.barcode, resolved.planId, 3)) items.push(...page);
        tapes.push({ barcode: t.barcode, items });
      }
      return { ...resolved, tapes };
    },
    pointInTime,
    search: new FileSearchService(searchRepo, new TapeLossRepository(prisma)),
    searchRepo,
    async close() {
      await prisma.onModuleDestroy();
      await db.drop();
    },
  };
}

export async function createAgent(f: FilesFixture, name: string): Promise<string> {
  const agent = await f.prisma.client.agent.create({ data: { name, hostname: `${name}.local`, version: 'test', allowedRestoreRoots: ['/restore'] } });
  return agent.id;
}

export async function createTape(f: FilesFixture, barcode: string): Promise<string> {
  const tape = await f.prisma.client.tape.create({ data: { barcode, generation: 9, capacityBytes: 18_000_000_000_000n } });
  return tape.id;
}

/** A backup job assigned to `agentId` with one run per root on host `host`. */
export async function createBackupJob(f: FilesFixture, agentId: string, host: string, roots: string[]): Promise<{ jobId: string; runIds: string[] }> {
  const job = await f.prisma.client.job.create({ data: { kind: 'BACKUP', status: 'RUNNING', agentId, spec: { paths: roots } } });
  const runIds = await f.runs.createBackupRuns({ jobId: job.id, host, roots, level: 'FULL' });
  return { jobId: job.id, runIds };
}

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();

export function location(barcode: string, startBlock: number, over: Partial<TapeLocation> = {}): TapeLocation {
  return {
    barcode,
    partition: 'b',
    startBlock,
    containerPath: `/ferrite/data/${randomUUID()}`,
    offset: 0,
    length: 0,
    segment: 0,
    fileOffset: 0,
    segmentSha256: Buffer.alloc(0),
    dataMap: [],
    ...over,
  };
}

/** A regular file whose content is its own path (so every file has a distinct sha256). */
export function fileRecord(path: string, barcode: string, startBlock: number, over: Partial<FileRecord> = {}): FileRecord {
  const size = over.size ?? Buffer.byteLength(path) + 1;
  return {
    path,
    type: FileType.FILE_TYPE_FILE,
    size,
    mtimeMs: 1_700_000_000_000 + startBlock,
    mode: 0o100644,
    sha256: sha256(`content of ${path}`),
    symlinkTarget: '',
    locations: size > 0 ? [location(barcode, startBlock, { length: size })] : [],
    ctimeMs: 1_700_000_000_500,
    inode: 1000 + startBlock,
    deleted: false,
    changedDuringBackup: false,
    xattrs: [],
    linkCount: 0,
    hardLinkTo: '',
    rdevMajor: 0,
    rdevMinor: 0,
    owner: '',
    group: '',
    dataMap: [],
    ...over,
  };
}

export function dirRecord(path: string, over: Partial<FileRecord> = {}): FileRecord {
  return {
    path,
    type: FileType.FILE_TYPE_DIRECTORY,
    size: 4096,
    mtimeMs: 1_690_000_000_000,
    mode: 0o40755,
    sha256: Buffer.alloc(0),
    symlinkTarget: '',
    locations: [],
    ctimeMs: 0,
    inode: 0,
    deleted: false,
    changedDuringBackup: false,
    xattrs: [],
    linkCount: 0,
    hardLinkTo: '',
    rdevMajor: 0,
    rdevMinor: 0,
    owner: '',
    group: '',
    dataMap: [],
    ...over,
  };
}

export function symlinkRecord(path: string, target: string): FileRecord {
  return {
    path,
    type: FileType.FILE_TYPE_SYMLINK,
    size: target.length,
    mtimeMs: 1_690_000_000_000,
    mode: 0o120777,
    sha256: Buffer.alloc(0),
    symlinkTarget: target,
    locations: [],
    ctimeMs: 0,
    inode: 0,
    deleted: false,
    changedDuringBackup: false,
    xattrs: [],
    linkCount: 0,
    hardLinkTo: '',
    rdevMajor: 0,
    rdevMinor: 0,
    owner: '',
    group: '',
    dataMap: [],
  };
}

const TABLES = ['host', 'run', 'directory', 'file_name', 'file_version', 'content', 'placement', 'ingest_batch'] as const;

/** Row counts of every table ingest writes. */
export async function tableCounts(f: FilesFixture): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const { rows } = await f.prisma.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`);
    out[t] = rows[0].n;
  }
  return out;
}

/** Pages through `files` with `first` per page and returns every path, in order. */
export async function allPaths(f: FilesFixture, filter: Parameters<FileSearchService['files']>[0], first = 1000): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await f.search.files(filter, first, after);
    out.push(...page.edges.map((e) => e.node.path));
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor!;
  }
}

/** The FerriteError code a call fails with, or 'no error' when it succeeds. */
export async function errorCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof FerriteError, String(err));
    return err.code;
  }
  return 'no error';
}
