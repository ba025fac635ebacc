// Backup runs: one per (job, source root). Runs are few per job, so plain Prisma calls do; the only
// set-based statement is the count refresh when a job finishes.
import { Injectable } from '@nestjs/common';
import { Prisma, type RunLevel } from '@ferrite/db';
import { PrismaService } from '../../database/prisma.service.js';
import type { Tx } from '../../database/transaction.js';
import { translateDatabaseError } from '../../database/database-errors.js';
import { FilesErrorCode, filesError } from '../files/files.errors.js';

export interface RunRow {
  id: string;
  host: string;
  root: string;
  level: RunLevel;
  baseRunId: string | null;
  jobId: string | null;
  added: number;
  modified: number;
  deleted: number;
  unchanged: number;
  startedAt: Date;
  finishedAt: Date | null;
}

const runSelect = {
  id: true,
  root: true,
  level: true,
  baseRunId: true,
  jobId: true,
  added: true,
  modified: true,
  deleted: true,
  unchanged: true,
  startedAt: true,
  finishedAt: true,
  host: { select: { name: true } },
} satisfies Prisma.RunSelect;

type SelectedRun = Prisma.RunGetPayload<{ select: typeof runSelect }>;

function toRow(r: SelectedRun): RunRow {
  return { ...r, host: r.host.name };
}

@Injectable()
export class RunsRepository {
  constructor(private readonly db: PrismaService) {}

  /** Creates the runs of a backup job, reusing the ones a previous attempt of the same job made
   *  (matched by root), so a retried job keeps filling the same runs. Returns ids in `roots` order. */
  async createRuns(jobId: string, host: string, roots: string[], level: RunLevel): Promise<string[]> {
    try {
      return await this.db.client.$transaction(async (tx) => {
        const job = await tx.job.findUnique({ where: { id: jobId }, select: { id: true } });
        if (!job) throw filesError(FilesErrorCode.JOB_NOT_FOUND, `job ${JSON.stringify(jobId)} does not exist`, { jobId });
        // ON CONFLICT, not Prisma's upsert (a find then a create): concurrent first backups of one
        // host would otherwise race on host_name_key.
        const [hostRow] = await tx.$queryRaw<{ id: number }[]>`
          INSERT INTO host (name) VALUES (${host}) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`;
        if (!hostRow) throw new Error(`could not record host ${host}`);
        const existing = await tx.run.findMany({ where: { jobId }, select: { id: true, root: true, hostId: true } });
        const other = existing.find((r) => r.hostId !== hostRow.id);
        if (other) {
          throw filesError(FilesErrorCode.INVALID_ARGUMENT, `job ${jobId} already has runs for another host; one backup job covers one host`, { jobId });
        }
        const byRoot = new Map(existing.map((r) => [r.root, r.id]));
        const ids: string[] = [];
        for (const root of roots) {
          let id = byRoot.get(root);
          if (!id) {
            id = (await tx.run.create({ data: { hostId: hostRow.id, root, level, jobId }, select: { id: true } })).id;
            byRoot.set(root, id);
          }
          ids.push(id);
        }
        return ids;
      });
    } catch (err) {
      throw translateDatabaseError(err, 'creating backup runs');
    }
  }

  /**
   * Re-creates the runs of a backup job read back from tape (rebuildCatalog), with their ids,
   * roots, levels, bases and start time as the job header records them. Runs that exist are kept.
   */
  async restoreRuns(
    jobId: string,
    host: string,
    runs: Array<{ id: string; root: string; level: RunLevel; baseRunId: string | null; startedAt: Date }>,
  ): Promise<void> {
    try {
      await this.db.client.$transaction(async (tx) => {
        const [hostRow] = await tx.$queryRaw<{ id: number }[]>`
          INSERT INTO host (name) VALUES (${host}) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`;
        if (!hostRow) throw new Error(`could not record host ${host}`);
        await tx.run.createMany({
          data: runs.map((r) => ({ id: r.id, hostId: hostRow.id, root: r.root, level: r.level, baseRunId: r.baseRunId, jobId, startedAt: r.startedAt })),
          skipDuplicates: true,
        });
      });
    } catch (err) {
      throw translateDatabaseError(err, 'restoring backup runs');
    }
  }

  /** A job's runs with their roots (what ingest files records under). */
  async rootsOfJob(jobId: string): Promise<Array<{ id: string; root: string }>> {
    try {
      return await this.db.client.run.findMany({ where: { jobId }, select: { id: true, root: true }, orderBy: { startedAt: 'asc' } });
    } catch (err) {
      throw translateDatabaseError(err, 'reading the runs of a job');
    }
  }

  /** Ids of a job's runs. */
  async runIdsOfJob(jobId: string): Promise<string[]> {
    try {
      return (await this.db.client.run.findMany({ where: { jobId }, select: { id: true }, orderBy: { startedAt: 'asc' } })).map((r) => r.id);
    } catch (err) {
      throw translateDatabaseError(err, 'reading the runs of a job');
    }
  }

  /** Stamps a run finished with its counts (recounted from the file index each time, so a
   *  retried job that re-reported files never double-counts). */
  async finishRun(
    runId: string,
    counts: { added: number; modified: number; deleted: number; unchanged: number },
    finishedAt: Date = new Date(),
  ): Promise<void> {
    try {
      await this.db.client.run.update({ where: { id: runId }, data: { ...counts, finishedAt } });
    } catch (err) {
      throw translateDatabaseError(err, 'finishing a backup run');
    }
  }

  async findRun(id: string): Promise<RunRow | null> {
    try {
      const run = await this.db.client.run.findUnique({ where: { id }, select: runSelect });
      return run ? toRow(run) : null;
    } catch (err) {
      throw translateDatabaseError(err, 'reading a run');
    }
  }

  /** Newest first; keyset pagination on (startedAt, id). */
  async listRuns(host: string | undefined, after: { startedAt: Date; id: string } | undefined, limit: number): Promise<RunRow[]> {
    const where: Prisma.RunWhereInput = {};
    if (host !== undefined) where.host = { name: host };
    if (after) {
      where.OR = [{ startedAt: { lt: after.startedAt } }, { startedAt: after.startedAt, id: { lt: after.id } }];
    }
    try {
      const runs = await this.db.client.run.findMany({
        where,
        select: runSelect,
        orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
        take: limit,
      });
      return runs.map(toRow);
    } catch (err) {
      throw translateDatabaseError(err, 'listing runs');
    }
  }

  async countRuns(host: string | undefined): Promise<number> {
    try {
      return await this.db.client.run.count({ where: host === undefined ? {} : { host: { name: host } } });
    } catch (err) {
      throw translateDatabaseError(err, 'counting runs');
    }
  }

  async hostExists(name: string): Promise<boolean> {
    try {
      return (await this.db.client.host.findUnique({ where: { name }, select: { id: true } })) !== null;
    } catch (err) {
      throw translateDatabaseError(err, 'looking up a host');
    }
  }

  /** The id of a host (a backed-up machine) by name; null when it was never backed up. */
  async hostIdOf(tx: Tx, name: string): Promise<number | null> {
    const [row] = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM host WHERE name = ${name}`;
    return row?.id ?? null;
  }

  /** The run of `jobId` for `root`, locked, with the level and pool its backup asked for; null when there is none. */
  async lockRunOfJob(tx: Tx, jobId: string, root: string): Promise<RunOfJob | null> {
    const [run] = await tx.$queryRaw<RunOfJob[]>`
      SELECT r.id::text AS "runId", r.host_id AS "hostId", r.level::text AS level, r.base_run_id::text AS "baseRunId",
             j.spec->>'pool' AS pool, j.spec->>'level' AS "requestedLevel"
        FROM run r JOIN job j ON j.id = r.job_id WHERE r.job_id = ${jobId}::uuid AND r.root = ${root} FOR UPDATE OF r`;
    return run ?? null;
  }

  /** The latest finished run of the host and root other than `exceptRunId`, if any. */
  async latestFinished(tx: Tx, hostId: number, root: string, exceptRunId: string): Promise<string | null> {
    const [row] = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM run WHERE host_id = ${hostId} AND root = ${root} AND finished_at IS NOT NULL AND id <> ${exceptRunId}::uuid
       ORDER BY finished_at DESC, id DESC LIMIT 1`;
    return row?.id ?? null;
  }

  async setBase(tx: Tx, runId: string, baseRunId: string | null, level: RunLevel): Promise<void> {
    await tx.$executeRaw`UPDATE run SET base_run_id = ${baseRunId}::uuid, level = ${level}::"RunLevel" WHERE id = ${runId}::uuid`;
  }

  /** The pool's dedup settings when it has dedup on. */
  async dedupOfPool(tx: Tx, pool: string): Promise<{ poolId: string; copies: number } | null> {
    const [p] = await tx.$queryRaw<{ id: string; copies: number; dedup: boolean }[]>`SELECT id::text AS id, copies, dedup FROM pool WHERE name = ${pool}`;
    return p?.dedup ? { poolId: p.id, copies: p.copies } : null;
  }
}

export interface RunOfJob {
  runId: string;
  hostId: number;
  level: RunLevel;
  baseRunId: string | null;
  pool: string | null;
  requestedLevel: string | null;
}
