// The only code that reads and writes tape rows for the tapes domain (lookups, listing, hand
// registration, candidates for a backup). Tape rows are also written by the agents module when an
// agent reports its library, and by job events when an agent reports a tape's state.
import { Injectable } from '@nestjs/common';
import { Prisma, type TapeState } from '@ferrite/db';
import { PrismaService } from '../../database/prisma.service.js';
import type { Tx } from '../../database/transaction.js';
import { dbOperation, isUniqueViolation } from '../../database/database-errors.js';
import { jobIsUnfinished, jobNamesTape } from '../../database/job-holds.sql.js';
import { TapeErrors } from './tapes.errors.js';

export const tapeInclude = {
  pool: true,
  agent: { select: { name: true } },
  changer: { select: { name: true } },
  loadedIn: { select: { name: true } },
} as const satisfies Prisma.TapeInclude;

export type TapeRow = Prisma.TapeGetPayload<{ include: typeof tapeInclude }>;

export interface TapeListFilter {
  notVerifiedSince?: Date;
  state?: TapeState;
  agentName?: string;
  poolName?: string;
}

/** Everything the agent said about one barcode. */
export interface TapeSighting {
  barcode: string;
  /** 0 when neither the agent nor the barcode suffix tells. */
  generation: number;
  /** Used only when the tape is new to the catalog, or when details are known. */
  capacityBytes: number;
  usedBytes: number;
  writeProtected: boolean;
  volumeUuid: string | null;
  formatted: boolean;
  /** False when only the barcode was seen (a slot never read): the catalog keeps what it knew. */
  detailsKnown: boolean;
  /** TapeAlert flags seen while the tape was in a drive (only with detailsKnown). */
  alerts: string[];
  worm: boolean;
  cleaning: boolean;
  changerName: string | null;
  slot: number | null;
  driveName: string | null;
}

/** What an agent's report of a job says about a tape it worked on (read off the volume). */
export interface TapeUpdate {
  barcode: string;
  capacityBytes: number;
  usedBytes: number;
  volumeUuid: string | null;
  formatted: boolean;
  /** A format completed: the volume is new and empty (formattedAt now, SCRATCH, no placements). */
  reformatted: boolean;
  /** A backup wrote to it: SCRATCH becomes ACTIVE. */
  written: boolean;
  /** A backup wrote it to its early-warning zone or end of medium: FULL (see markFull). */
  full?: boolean;
  /** Pool to put the tape in (when it has none, or it was just formatted). */
  pool: string | null;
}

@Injectable()
export class TapesRepository {
  constructor(private readonly prisma: PrismaService) {}

  findByBarcode(barcode: string): Promise<TapeRow | null> {
    return dbOperation('find tape', () => this.prisma.client.tape.findUnique({ where: { barcode }, include: tapeInclude }));
  }

  findById(id: string): Promise<TapeRow | null> {
    return dbOperation('find tape', () => this.prisma.client.tape.findUnique({ where: { id }, include: tapeInclude }));
  }

  findByBarcodes(barcodes: string[]): Promise<TapeRow[]> {
    return dbOperation('find tapes', () => this.prisma.client.tape.findMany({ where: { barcode: { in: barcodes } }, include: tapeInclude }));
  }

  async list(filter: TapeListFilter, skip: number, take: number): Promise<{ rows: TapeRow[]; total: number }> {
    const where: Prisma.TapeWhereInput = {
      ...(filter.state ? { state: filter.state } : {}),
      ...(filter.agentName !== undefined ? { agent: { name: filter.agentName } } : {}),
      ...(filter.poolName !== undefined ? { pool: { name: filter.poolName } } : {}),
      ...(filter.notVerifiedSince ? { OR: [{ lastVerifiedAt: null }, { lastVerifiedAt: { lt: filter.notVerifiedSince } }] } : {}),
    };
    return dbOperation('list tapes', async () => {
      const [rows, total] = await this.prisma.client.$transaction([
        this.prisma.client.tape.findMany({ where, include: tapeInclude, orderBy: { barcode: 'asc' }, skip, take }),
        this.prisma.client.tape.count({ where }),
      ]);
      return { rows, total };
    });
  }

  /** A cartridge on a shelf, known to no library yet. */
  create(input: { barcode: string; generation: number; capacityBytes: number; worm?: boolean; cleaning?: boolean }): Promise<TapeRow> {
    return dbOperation('register tape', async () => {
      try {
        return await this.prisma.client.tape.create({
          data: {
            barcode: input.barcode,
            generation: input.generation,
            capacityBytes: BigInt(input.capacityBytes),
            worm: input.worm ?? false,
            cleaning: input.cleaning ?? false,
          },
          include: tapeInclude,
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw TapeErrors.alreadyExists(input.barcode);
        throw err;
      }
    });
  }

  recordCheck(barcode: string, at: Date, result: string): Promise<void> {
    return dbOperation('record tape check', async () => {
      await this.prisma.client.tape.updateMany({ where: { barcode }, data: { lastCheckedAt: at, lastCheckResult: result } });
    });
  }

  /**
   * Records a verify job's result on a tape. `failed` > 0 makes it SUSPECT (unless RETIRED), keeping
   * the state it had; `wholeTape` with nothing failed puts back the state a failed verify took it
   * out of. Idempotent: a re-sent report changes nothing more. Returns the tape's state after.
   */
  recordVerify(barcode: string, at: Date, result: string, failed: number, wholeTape: boolean): Promise<{ before: string; after: string } | null> {
    return dbOperation('record tape verify', async () => {
      const rows = await this.prisma.client.$queryRaw<{ before: string; after: string }[]>`
        UPDATE tape t SET last_verified_at = ${at}, last_verify_result = ${result}, updated_at = now(),
               state = CASE WHEN ${failed} > 0 AND t.state NOT IN ('SUSPECT', 'RETIRED') THEN 'SUSPECT'::"TapeState"
                            WHEN ${failed} = 0 AND ${wholeTape} AND t.state = 'SUSPECT' AND t.state_before_suspect IS NOT NULL THEN t.state_before_suspect
                            ELSE t.state END,
               state_before_suspect = CASE WHEN ${failed} > 0 AND t.state NOT IN ('SUSPECT', 'RETIRED') THEN t.state
                                           WHEN ${failed} = 0 AND ${wholeTape} AND t.state = 'SUSPECT' THEN NULL
                                           ELSE t.state_before_suspect END
          FROM tape old WHERE old.id = t.id AND t.barcode = ${barcode}
        RETURNING old.state::text AS before, t.state::text AS after`;
      return rows[0] ?? null;
    });
  }

  /**
   * What a tape's label says, for a tape read back by rebuildCatalog: its volume UUID and format
   * time where the catalog has none, its pool where the catalog has none and a pool of that name
   * exists, and ACTIVE for a tape the catalog thought empty. Other states stay.
   */
  applyRebuildLabel(barcode: string, label: { volumeUuid: string | null; createdAt: Date | null; pool: string | null }): Promise<void> {
    return dbOperation('apply a tape label', async () => {
      await this.prisma.client.$executeRaw`
        UPDATE tape SET volume_uuid = COALESCE(volume_uuid, ${label.volumeUuid}::uuid),
               formatted_at = COALESCE(formatted_at, ${label.createdAt}::timestamptz, now()),
               pool_id = COALESCE(pool_id, (SELECT id FROM pool WHERE name = ${label.pool})),
               state = CASE WHEN state = 'SCRATCH' THEN 'ACTIVE'::"TapeState" ELSE state END,
               updated_at = now()
         WHERE barcode = ${barcode}`;
    });
  }

  /** Whether the catalog records any file data on the tape. */
  async hasPlacements(tapeId: string): Promise<boolean> {
    return dbOperation(
      'check tape placements',
      async () => (await this.prisma.client.placement.findFirst({ where: { tapeId }, select: { tapeId: true } })) !== null,
    );
  }

  /**
   * Facts an agent read off the volume, in the caller's transaction (the one that records the job
   * event). A completed format leaves an empty volume: whatever the catalog said was on the tape
   * is gone, so the caller removes its placements too (the catalog never claims data that is not on
   * tape). Returns the tape's id, or null for a tape the catalog does not know.
   */
  async applyAgentReport(tx: Tx, t: TapeUpdate): Promise<string | null> {
    const tape = await tx.tape.findUnique({ where: { barcode: t.barcode }, select: { id: true } });
    if (!tape) return null;
    const pool = t.pool ? await tx.pool.findUnique({ where: { name: t.pool }, select: { id: true } }) : null;
    await tx.$executeRaw`
      UPDATE tape SET
        capacity_bytes = CASE WHEN ${t.capacityBytes}::bigint > 0 THEN ${t.capacityBytes}::bigint ELSE capacity_bytes END,
        used_bytes = ${t.usedBytes}::bigint,
        volume_uuid = COALESCE(${t.volumeUuid}::uuid, volume_uuid),
        formatted_at = CASE WHEN ${t.reformatted}::boolean THEN now() WHEN ${t.formatted}::boolean THEN COALESCE(formatted_at, now()) ELSE formatted_at END,
        reformat_pending = reformat_pending AND NOT ${t.reformatted}::boolean,
        state = CASE WHEN ${t.reformatted}::boolean THEN 'SCRATCH'::"TapeState"
                     WHEN ${t.full ?? false}::boolean AND state IN ('SCRATCH', 'ACTIVE') THEN 'FULL'::"TapeState"
                     WHEN ${t.written}::boolean AND state = 'SCRATCH' THEN 'ACTIVE'::"TapeState"
                     ELSE state END,
        -- A scratch tape a backup writes joins the backup's pool (a named one may come from the pool's scratch pool).
        pool_id = CASE WHEN ${pool?.id ?? null}::uuid IS NOT NULL AND (${t.reformatted}::boolean OR pool_id IS NULL OR (${t.written}::boolean AND state = 'SCRATCH'))
                       THEN ${pool?.id ?? null}::uuid ELSE pool_id END,
        updated_at = now()
      WHERE id = ${tape.id}::uuid`;
    return tape.id;
  }

  /**
   * A backup reached the tape's early-warning zone: FULL (never chosen for writing again), with the
   * space the agent reported. A tape already SUSPECT, RETIRED or OFFSITE keeps its state.
   */
  async markFull(tx: Tx, barcode: string, usedBytes: number, capacityBytes: number): Promise<void> {
    await tx.$executeRaw`
      UPDATE tape SET state = CASE WHEN state IN ('SCRATCH', 'ACTIVE') THEN 'FULL'::"TapeState" ELSE state END,
             used_bytes = GREATEST(used_bytes, ${usedBytes}::bigint),
             capacity_bytes = CASE WHEN ${capacityBytes}::bigint > 0 THEN ${capacityBytes}::bigint ELSE capacity_bytes END,
             updated_at = now()
      WHERE barcode = ${barcode}`;
  }

  /** A scratch tape drawn for a pool (from no pool or the pool's scratch pool) now belongs to it. */
  async drawIntoPool(tx: Tx, barcode: string, poolName: string | null): Promise<void> {
    if (!poolName) return;
    await tx.$executeRaw`
      UPDATE tape SET pool_id = p.id, updated_at = now() FROM pool p
      WHERE p.name = ${poolName} AND tape.barcode = ${barcode} AND tape.state = 'SCRATCH' AND tape.pool_id IS DISTINCT FROM p.id`;
  }

  /** What an agent's inventory shows, in its registration's transaction: tapes new to the catalog
   *  are added, known ones move to the agent, library and slot that report them, with what was read
   *  off them. `changerIds`: the agent's changers by name. */
  async applySightings(tx: Tx, agentId: string, tapes: TapeSighting[], changerIds: Map<string, string>): Promise<void> {
    if (tapes.length === 0) return;
    const col = <T>(f: (t: TapeSighting) => T) => tapes.map(f);
    const barcodes = col((t) => t.barcode);
    const generations = col((t) => t.generation);
    const capacities = col((t) => String(Math.trunc(t.capacityBytes)));
    const used = col((t) => String(Math.trunc(t.usedBytes)));
    const writeProtected = col((t) => t.writeProtected);
    const volumes = col((t) => t.volumeUuid);
    const formatted = col((t) => t.formatted);
    const known = col((t) => t.detailsKnown);
    const changers = col((t) => (t.changerName ? (changerIds.get(t.changerName) ?? null) : null));
    const slots = col((t) => t.slot);
    const inDrive = col((t) => t.driveName !== null);
    // Postgres arrays cannot be ragged: alerts travel as one comma-joined string per tape.
    const alerts = col((t) => t.alerts.join(','));
    const worm = col((t) => t.worm);
    const cleaning = col((t) => t.cleaning);
    const rows = Prisma.sql`unnest(
        ${barcodes}::text[], ${generations}::int[], ${capacities}::bigint[], ${used}::bigint[],
        ${writeProtected}::boolean[], ${volumes}::uuid[], ${formatted}::boolean[], ${known}::boolean[],
        ${changers}::uuid[], ${slots}::int[], ${inDrive}::boolean[], ${alerts}::text[], ${worm}::boolean[], ${cleaning}::boolean[])
      AS r(barcode, generation, capacity, used, write_protected, volume_uuid, formatted, known, changer_id, slot, in_drive, alerts, worm, cleaning)`;
    await tx.$executeRaw`
      INSERT INTO tape (id, barcode, generation, capacity_bytes, used_bytes, write_protected, volume_uuid, formatted_at, agent_id, changer_id, slot, worm, cleaning)
      SELECT gen_random_uuid(), r.barcode, r.generation, r.capacity, CASE WHEN r.known THEN r.used ELSE 0 END,
             r.write_protected, r.volume_uuid, CASE WHEN r.known AND r.formatted THEN now() END,
             ${agentId}::uuid, r.changer_id, r.slot, r.worm, r.cleaning
      FROM ${rows}
      ON CONFLICT (barcode) DO NOTHING`;
    // A tape in a drive keeps the slot it came from (its home slot) when it stays in the same changer.
    await tx.$executeRaw`
      UPDATE tape t SET
        agent_id = ${agentId}::uuid,
        changer_id = r.changer_id,
        slot = COALESCE(r.slot, CASE WHEN r.in_drive AND t.agent_id = ${agentId}::uuid AND t.changer_id IS NOT DISTINCT FROM r.changer_id THEN t.slot END),
        generation = CASE WHEN r.generation > 0 THEN r.generation ELSE t.generation END,
        capacity_bytes = CASE WHEN r.known AND r.capacity > 0 THEN r.capacity ELSE t.capacity_bytes END,
        used_bytes = CASE WHEN r.known THEN r.used ELSE t.used_bytes END,
        volume_uuid = CASE WHEN r.known THEN r.volume_uuid ELSE t.volume_uuid END,
        formatted_at = CASE WHEN NOT r.known THEN t.formatted_at WHEN r.formatted THEN COALESCE(t.formatted_at, now()) END,
        write_protected = CASE WHEN r.known THEN r.write_protected ELSE t.write_protected END,
        alerts = CASE WHEN r.known THEN COALESCE(string_to_array(NULLIF(r.alerts, ''), ','), ARRAY[]::text[]) ELSE t.alerts END,
        worm = t.worm OR r.worm,
        cleaning = t.cleaning OR r.cleaning,
        -- An offsite tape that a library reports again is back: it holds data or it does not.
        state = CASE WHEN t.state <> 'OFFSITE' THEN t.state
                     WHEN EXISTS (SELECT 1 FROM placement p WHERE p.tape_id = t.id) THEN 'ACTIVE'::"TapeState"
                     ELSE 'SCRATCH'::"TapeState" END,
        offsite_location = CASE WHEN t.state = 'OFFSITE' THEN NULL ELSE t.offsite_location END,
        updated_at = now()
      FROM ${rows}
      WHERE t.barcode = r.barcode`;
  }

  /** Tapes the agent held but no longer reports left it; each keeps the agent it left, so a job for
   *  it later knows whom to ask for it. */
  async releaseUnseen(tx: Tx, agentId: string, seen: string[]): Promise<void> {
    await tx.$executeRaw`
      UPDATE tape SET last_agent_id = agent_id, agent_id = NULL, changer_id = NULL, slot = NULL, updated_at = now()
      WHERE agent_id = ${agentId}::uuid AND NOT (barcode = ANY(${seen}::text[]))`;
  }

  /** A drive's heartbeat shows this tape in it: the tape is with that agent and changer now. */
  async placeInDriveOf(tx: Tx, tapeId: string, agentId: string, changerId: string | null): Promise<void> {
    await tx.tape.update({ where: { id: tapeId }, data: { agentId, changerId } });
  }

  /** A recycled tape (retention expired everything on it) is scratch again, in its pool's scratch
   *  pool when the pool names one, and awaits a format: its volume still holds the expired runs,
   *  and no backup may append to them. In the caller's transaction. */
  async returnToScratch(tx: Tx, tapeId: string, scratchPoolId: string | null): Promise<void> {
    await tx.$executeRaw`
      UPDATE tape SET state = 'SCRATCH', pool_id = COALESCE(${scratchPoolId}::uuid, pool_id),
             recycled_at = now(), reformat_pending = true, updated_at = now()
      WHERE id = ${tapeId}::uuid`;
  }

  /** Recycled tapes awaiting their format that sit in a library and no unfinished job names:
   *  the ones the retention pass queues a format for. */
  listAwaitingReformat(): Promise<Array<{ barcode: string; agentId: string; pool: string | null; recycledAt: Date }>> {
    return dbOperation(
      'list tapes awaiting a format',
      () =>
        this.prisma.client.$queryRaw<Array<{ barcode: string; agentId: string; pool: string | null; recycledAt: Date }>>`
        SELECT t.barcode, t.agent_id::text AS "agentId", p.name AS pool, t.recycled_at AS "recycledAt"
        FROM tape t LEFT JOIN pool p ON p.id = t.pool_id
        WHERE t.reformat_pending AND t.agent_id IS NOT NULL AND t.state = 'SCRATCH' AND NOT t.worm AND NOT t.write_protected
          AND NOT EXISTS (SELECT 1 FROM job j WHERE ${jobIsUnfinished('j')} AND ${jobNamesTape('j', Prisma.raw('t.barcode'))})
        ORDER BY t.barcode`,
    );
  }

  retire(tapeId: string): Promise<void> {
    return dbOperation('retire tape', async () => {
      await this.prisma.client.tape.update({ where: { id: tapeId }, data: { state: 'RETIRED' } });
    });
  }

  /** Only a tape no library reports can go offsite (checked again here, in the same statement). */
  markOffsite(tapeId: string, location: string | null): Promise<boolean> {
    return dbOperation('mark tape offsite', async () => {
      const n = await this.prisma.client.tape.updateMany({ where: { id: tapeId, agentId: null }, data: { state: 'OFFSITE', offsiteLocation: location } });
      return n.count > 0;
    });
  }

  /** Formatted data tapes in an agent's library (slots or drives), whatever their state: what a rebuild reads. */
  listFormattedInLibrary(agentId: string): Promise<TapeRow[]> {
    return dbOperation('list formatted tapes', () =>
      this.prisma.client.tape.findMany({ where: { agentId, formattedAt: { not: null }, cleaning: false }, include: tapeInclude, orderBy: { barcode: 'asc' } }),
    );
  }

  /** Formatted, writable tapes in an agent's library (slots or drives): what a backup may write to
   *  (never one that retention recycled and that awaits its new volume). */
  listWritableInLibrary(agentId: string): Promise<TapeRow[]> {
    return dbOperation('list writable tapes', () =>
      this.prisma.client.tape.findMany({
        where: { agentId, formattedAt: { not: null }, writeProtected: false, reformatPending: false, state: { in: ['SCRATCH', 'ACTIVE'] } },
        include: tapeInclude,
        orderBy: { barcode: 'asc' },
      }),
    );
  }
}
