// The only code that reads and writes schedule and schedule_firing rows. The firing claim is one
// INSERT ... ON CONFLICT DO NOTHING, so whichever replica's insert lands owns that fire instant.
import { Injectable } from '@nestjs/common';
import type { Prisma, RunLevel } from '@ferrite/db';
import { PrismaService } from '../../database/prisma.service.js';
import { dbOperation, isUniqueViolation } from '../../database/database-errors.js';
import { ScheduleErrors } from './schedules.errors.js';

const withRefs = { agent: { select: { id: true, name: true } }, pool: { select: { id: true, name: true } } } satisfies Prisma.ScheduleInclude;

export type ScheduleRow = Prisma.ScheduleGetPayload<{ include: typeof withRefs }>;

export interface ScheduleFiringRow {
  id: string;
  scheduleId: string;
  fireTime: Date;
  claimedBy: string;
  claimedAt: Date;
  jobId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  note: string | null;
  finishedAt: Date | null;
}

export interface ScheduleData {
  cron: string;
  timeZone: string;
  agentId: string;
  paths: string[];
  excludes: string[];
  poolId: string | null;
  level: RunLevel;
  enabled: boolean;
}

@Injectable()
export class SchedulesRepository {
  constructor(private readonly prisma: PrismaService) {}

  findByName(name: string): Promise<ScheduleRow | null> {
    return dbOperation('find schedule', () => this.prisma.client.schedule.findUnique({ where: { name }, include: withRefs }));
  }

  findById(id: string): Promise<ScheduleRow | null> {
    return dbOperation('find schedule', () => this.prisma.client.schedule.findUnique({ where: { id }, include: withRefs }));
  }

  list(skip: number, take: number): Promise<{ rows: ScheduleRow[]; total: number }> {
    return dbOperation('list schedules', async () => {
      const [rows, total] = await this.prisma.client.$transaction([
        this.prisma.client.schedule.findMany({ orderBy: { name: 'asc' }, skip, take, include: withRefs }),
        this.prisma.client.schedule.count(),
      ]);
      return { rows, total };
    });
  }

  listEnabled(): Promise<ScheduleRow[]> {
    return dbOperation('list enabled schedules', () =>
      this.prisma.client.schedule.findMany({ where: { enabled: true }, orderBy: { name: 'asc' }, include: withRefs }),
    );
  }

  create(name: string, data: ScheduleData): Promise<ScheduleRow> {
    return dbOperation('create schedule', async () => {
      try {
        return await this.prisma.client.schedule.create({ data: { name, ...data }, include: withRefs });
      } catch (err) {
        if (isUniqueViolation(err)) throw ScheduleErrors.alreadyExists(name);
        throw err;
      }
    });
  }

  /** Null when the schedule is gone (deleted meanwhile). */
  update(name: string, data: Partial<ScheduleData>): Promise<ScheduleRow | null> {
    return dbOperation('update schedule', async () => {
      const { count } = await this.prisma.client.schedule.updateMany({ where: { name }, data });
      return count ? this.prisma.client.schedule.findUnique({ where: { name }, include: withRefs }) : null;
    });
  }

  /** False when there was no such schedule. Its firings go with it (ON DELETE CASCADE). */
  delete(name: string): Promise<boolean> {
    return dbOperation('delete schedule', async () => (await this.prisma.client.schedule.deleteMany({ where: { name } })).count > 0);
  }

  /**
   * Claims (schedule, fireTime) for `replica`. Returns the firing id when this call inserted the
   * row, null when someone already had it: the loser does nothing more.
   */
  claimFiring(scheduleId: string, fireTime: Date, replica: string, now: Date): Promise<string | null> {
    return dbOperation('claim schedule firing', async () => {
      const rows = await this.prisma.client.$queryRaw<{ id: string }[]>`
        INSERT INTO schedule_firing (id, schedule_id, fire_time, claimed_by, claimed_at)
        VALUES (gen_random_uuid(), ${scheduleId}::uuid, ${fireTime}, ${replica}, ${now})
        ON CONFLICT (schedule_id, fire_time) DO NOTHING
        RETURNING id::text AS id`;
      return rows[0]?.id ?? null;
    });
  }

  /** Records the outcome of a claimed firing and, with it, the schedule's lastFiredAt. */
  finishFiring(
    firingId: string,
    scheduleId: string,
    fireTime: Date,
    outcome: { jobId: string; note: string | null } | { errorCode: string; errorMessage: string },
    at: Date,
  ): Promise<void> {
    return dbOperation('record schedule firing', async () => {
      await this.prisma.client.$transaction([
        this.prisma.client.scheduleFiring.update({
          where: { id: firingId },
          data:
            'jobId' in outcome
              ? { jobId: outcome.jobId, note: outcome.note, finishedAt: at }
              : { errorCode: outcome.errorCode, errorMessage: outcome.errorMessage, finishedAt: at },
        }),
        // Only forward (a late record of an older instant must not move it back), and in plain SQL
        // so updatedAt keeps meaning "the operator changed the schedule".
        this.prisma.client.$executeRaw`
          UPDATE schedule SET last_fired_at = ${fireTime}
          WHERE id = ${scheduleId}::uuid AND (last_fired_at IS NULL OR last_fired_at < ${fireTime})`,
      ]);
    });
  }

  /**
   * The latest unfinished job (QUEUED, ASSIGNED, RUNNING or WAITING_FOR_TAPE) whose idempotency key starts with
   * `keyPrefix` and sorts before `keyBefore`: for a schedule, a job an earlier instant started (its
   * keys end in the instant, ISO 8601, which sorts in time order). Read from the jobs rather than
   * from the firing rows, so a job counts from the moment it exists, before its firing is recorded.
   */
  unfinishedJobBefore(keyPrefix: string, keyBefore: string): Promise<{ jobId: string; status: string; key: string } | null> {
    return dbOperation('find an unfinished job of the schedule', async () => {
      const rows = await this.prisma.client.$queryRaw<{ jobId: string; status: string; key: string }[]>`
        SELECT id::text AS "jobId", status::text AS status, idempotency_key AS key FROM job
         WHERE starts_with(idempotency_key, ${keyPrefix}) AND idempotency_key < ${keyBefore} AND status IN ('QUEUED', 'ASSIGNED', 'RUNNING', 'WAITING_FOR_TAPE')
         ORDER BY idempotency_key DESC LIMIT 1`;
      return rows[0] ?? null;
    });
  }

  /**
   * Takes over up to `limit` firings claimed before `staleBefore` that never recorded an outcome.
   * SKIP LOCKED + the claimed_at bump make each one go to a single replica per period.
   */
  reclaimStaleFirings(replica: string, staleBefore: Date, now: Date, limit: number): Promise<{ id: string; scheduleId: string; fireTime: Date }[]> {
    return dbOperation(
      'reclaim stale schedule firings',
      () =>
        this.prisma.client.$queryRaw<{ id: string; scheduleId: string; fireTime: Date }[]>`
        UPDATE schedule_firing SET claimed_by = ${replica}, claimed_at = ${now}
        WHERE id IN (
          SELECT id FROM schedule_firing
          WHERE finished_at IS NULL AND claimed_at < ${staleBefore}
          ORDER BY fire_time
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
        RETURNING id::text AS id, schedule_id::text AS "scheduleId", fire_time AS "fireTime"`,
    );
  }

  recentFirings(scheduleId: string, take: number): Promise<ScheduleFiringRow[]> {
    return dbOperation('list schedule firings', () =>
      this.prisma.client.scheduleFiring.findMany({ where: { scheduleId }, orderBy: { fireTime: 'desc' }, take }),
    );
  }
}
