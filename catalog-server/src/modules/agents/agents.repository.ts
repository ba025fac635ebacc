// The only code that reads and writes agents, drives and changers, and the tape locations an agent
// reports (registration and heartbeats). Registration is one transaction: a re-register replaces
// the agent's drives and changers by name and moves tapes, and never duplicates a row.
import { Injectable } from '@nestjs/common';
import { Prisma, type Agent, type Changer, type Drive, type DriveState } from '@ferrite/db';
import { PrismaService } from '../../database/prisma.service.js';
import { dbOperation } from '../../database/database-errors.js';
import type { Registration, TapeSighting } from './registration.js';

export type AgentRow = Agent;
export type DriveRow = Drive;
export type ChangerRow = Changer;

export interface DriveStatusReport {
  name: string;
  state: DriveState;
  loadedBarcode: string | null;
  /** Absent: keep the alerts the catalog has. */
  alerts?: string[];
}

export interface ChangerTape {
  barcode: string;
  slot: number;
  inDrive: boolean;
}

type Tx = Prisma.TransactionClient;

@Injectable()
export class AgentsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Upserts the agent and everything it reported; returns the agent's id. */
  register(reg: Registration, sessionId: string, now: Date): Promise<string> {
    return dbOperation('register agent', () =>
      this.prisma.client.$transaction(
        async (tx) => {
          const agentFields = {
            hostname: reg.hostname,
            version: reg.version,
            allowedRestoreRoots: reg.allowedRestoreRoots,
            online: true,
            sessionId,
            lastSeenAt: now,
            registeredAt: now,
          };
          const agent = await tx.agent.upsert({
            where: { name: reg.agentName },
            create: { name: reg.agentName, ...agentFields },
            update: agentFields,
          });
          await this.replaceHardware(tx, agent.id, reg);
          return agent.id;
        },
        { timeout: 30_000, maxWait: 10_000 },
      ),
    );
  }

  /**
   * Applies an inventory an agent sent with a job's last event: the same replacement as a
   * registration, without touching the agent's session.
   */
  applyInventory(agentId: string, reg: Registration): Promise<void> {
    return dbOperation('apply inventory', () =>
      this.prisma.client.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT id FROM agent WHERE id = ${agentId}::uuid FOR UPDATE`;
          await this.replaceHardware(tx, agentId, reg);
        },
        { timeout: 30_000, maxWait: 10_000 },
      ),
    );
  }

  /** Changers, drives and tape locations of one agent, replaced by what it reported. */
  private async replaceHardware(tx: Tx, agentId: string, reg: Registration): Promise<void> {
    const changerIds = await this.replaceChangers(tx, agentId, reg);
    // Loaded tapes are re-linked below; clearing first keeps drive.loaded_tape_id unique meanwhile.
    await tx.drive.updateMany({ where: { agentId }, data: { loadedTapeId: null } });
    await this.upsertTapes(tx, agentId, reg.tapes, changerIds);
    // A tape this agent now holds cannot still be in another agent's drive.
    await tx.$executeRaw`
      UPDATE drive SET loaded_tape_id = NULL
      WHERE agent_id <> ${agentId}::uuid AND loaded_tape_id IN (SELECT id FROM tape WHERE agent_id = ${agentId}::uuid)`;
    await this.replaceDrives(tx, agentId, reg, changerIds);
    // A tape that left keeps the agent it left, so a job for it later knows whom to ask for it.
    await tx.$executeRaw`
      UPDATE tape SET last_agent_id = agent_id, agent_id = NULL, changer_id = NULL, slot = NULL, updated_at = now()
      WHERE agent_id = ${agentId}::uuid AND NOT (barcode = ANY(${reg.tapes.map((t) => t.barcode)}::text[]))`;
  }

  private async replaceChangers(tx: Tx, agentId: string, reg: Registration): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    for (const c of reg.changers) {
      const row = await tx.changer.upsert({
        where: { agentId_name: { agentId, name: c.name } },
        create: { agentId, name: c.name, serial: c.serial, slotCount: c.slotCount },
        update: { serial: c.serial, slotCount: c.slotCount },
      });
      ids.set(c.name, row.id);
    }
    await tx.changer.deleteMany({ where: { agentId, name: { notIn: reg.changers.map((c) => c.name) } } });
    return ids;
  }

  private async replaceDrives(tx: Tx, agentId: string, reg: Registration, changerIds: Map<string, string>): Promise<void> {
    const loaded = reg.drives.map((d) => d.loadedBarcode).filter((b): b is string => b !== null);
    const tapeIds = new Map(
      (await tx.tape.findMany({ where: { barcode: { in: loaded } }, select: { id: true, barcode: true } })).map((t) => [t.barcode, t.id]),
    );
    for (const d of reg.drives) {
      const fields = {
        serial: d.serial,
        vendor: d.vendor,
        model: d.model,
        generation: d.generation,
        backend: d.backend,
        state: d.state,
        changerId: d.changerName ? (changerIds.get(d.changerName) ?? null) : null,
        changerDriveIndex: d.changerDriveIndex,
        loadedTapeId: d.loadedBarcode ? (tapeIds.get(d.loadedBarcode) ?? null) : null,
        alerts: d.alerts,
      };
      await tx.drive.upsert({
        where: { agentId_name: { agentId, name: d.name } },
        create: { agentId, name: d.name, ...fields },
        update: fields,
      });
    }
    await tx.drive.deleteMany({ where: { agentId, name: { notIn: reg.drives.map((d) => d.name) } } });
  }

  // Set-based: a library can hold hundreds of cartridges, and this runs on every registration.
  private async upsertTapes(tx: Tx, agentId: string, tapes: TapeSighting[], changerIds: Map<string, string>): Promise<void> {
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

  /**
   * Records a beat: last seen, online, drive states and loaded tapes. Returns false (and changes
   * nothing) when the agent is unknown or the session is not its current one.
   */
  heartbeat(agentId: string, sessionId: string, drives: DriveStatusReport[], now: Date): Promise<boolean> {
    return dbOperation('record heartbeat', () =>
      this.prisma.client.$transaction(async (tx) => {
        const [agent] = await tx.$queryRaw<{ session_id: string | null }[]>`
          SELECT session_id FROM agent WHERE id = ${agentId}::uuid FOR UPDATE`;
        if (!agent || agent.session_id !== sessionId) return false;
        await tx.agent.update({ where: { id: agentId }, data: { lastSeenAt: now, online: true } });
        if (drives.length > 0) await this.applyDriveReports(tx, agentId, drives);
        return true;
      }),
    );
  }

  private async applyDriveReports(tx: Tx, agentId: string, reports: DriveStatusReport[]): Promise<void> {
    const current = await tx.drive.findMany({ where: { agentId }, include: { loadedTape: { select: { barcode: true } } } });
    const byName = new Map(current.map((d) => [d.name, d]));
    for (const r of reports) {
      const drive = byName.get(r.name);
      if (!drive) continue; // a drive the agent has not registered: it re-registers when hardware changes
      const loadedNow = drive.loadedTape?.barcode ?? null;
      if (loadedNow === r.loadedBarcode) {
        const alerts = r.alerts ?? drive.alerts;
        if (drive.state !== r.state || drive.alerts.join(',') !== alerts.join(','))
          await tx.drive.update({ where: { id: drive.id }, data: { state: r.state, alerts } });
        continue;
      }
      const tape = r.loadedBarcode ? await tx.tape.findUnique({ where: { barcode: r.loadedBarcode }, select: { id: true } }) : null;
      if (tape) {
        await tx.drive.updateMany({ where: { loadedTapeId: tape.id, id: { not: drive.id } }, data: { loadedTapeId: null } });
        await tx.tape.update({ where: { id: tape.id }, data: { agentId, changerId: drive.changerId } });
      }
      await tx.drive.update({ where: { id: drive.id }, data: { state: r.state, loadedTapeId: tape?.id ?? null, alerts: r.alerts ?? drive.alerts } });
    }
  }

  /** Marks agents (and their drives) offline whose last beat is older than `cutoff`; returns them. */
  markStaleOffline(cutoff: Date): Promise<{ id: string; name: string }[]> {
    return dbOperation(
      'mark agents offline',
      () =>
        // Its drives show OFFLINE until it registers again (no one can reach them meanwhile).
        this.prisma.client.$queryRaw<{ id: string; name: string }[]>`
        WITH gone AS (
          UPDATE agent SET online = false
          WHERE online AND (last_seen_at IS NULL OR last_seen_at < ${cutoff})
          RETURNING id, name),
        drives AS (UPDATE drive SET state = 'OFFLINE', updated_at = now() WHERE agent_id IN (SELECT id FROM gone))
        SELECT id::text AS id, name FROM gone`,
    );
  }

  findById(id: string): Promise<AgentRow | null> {
    return dbOperation('find agent', () => this.prisma.client.agent.findUnique({ where: { id } }));
  }

  findByName(name: string): Promise<AgentRow | null> {
    return dbOperation('find agent', () => this.prisma.client.agent.findUnique({ where: { name } }));
  }

  listAgents(skip: number, take: number): Promise<{ rows: AgentRow[]; total: number }> {
    return dbOperation('list agents', async () => {
      const [rows, total] = await this.prisma.client.$transaction([
        this.prisma.client.agent.findMany({ orderBy: { name: 'asc' }, skip, take }),
        this.prisma.client.agent.count(),
      ]);
      return { rows, total };
    });
  }

  listDrives(agentName: string | undefined, skip: number, take: number): Promise<{ rows: DriveRow[]; total: number }> {
    const where: Prisma.DriveWhereInput = agentName !== undefined ? { agent: { name: agentName } } : {};
    return dbOperation('list drives', async () => {
      const [rows, total] = await this.prisma.client.$transaction([
        this.prisma.client.drive.findMany({ where, orderBy: [{ agent: { name: 'asc' } }, { name: 'asc' }], skip, take }),
        this.prisma.client.drive.count({ where }),
      ]);
      return { rows, total };
    });
  }

  drivesOf(agentId: string): Promise<DriveRow[]> {
    return dbOperation('list drives', () => this.prisma.client.drive.findMany({ where: { agentId }, orderBy: { name: 'asc' } }));
  }

  findDriveById(id: string): Promise<DriveRow | null> {
    return dbOperation('find drive', () => this.prisma.client.drive.findUnique({ where: { id } }));
  }

  changersOf(agentId: string): Promise<ChangerRow[]> {
    return dbOperation('list changers', () => this.prisma.client.changer.findMany({ where: { agentId }, orderBy: { name: 'asc' } }));
  }

  findChangerById(id: string): Promise<ChangerRow | null> {
    return dbOperation('find changer', () => this.prisma.client.changer.findUnique({ where: { id } }));
  }

  /** Tapes whose (home) slot is in the changer, and whether each is out in a drive right now. */
  async tapesInChanger(changerId: string): Promise<ChangerTape[]> {
    return dbOperation('list changer tapes', async () => {
      const rows = await this.prisma.client.tape.findMany({
        where: { changerId, slot: { not: null } },
        select: { barcode: true, slot: true, loadedIn: { select: { id: true } } },
      });
      return rows.map((r) => ({ barcode: r.barcode, slot: r.slot!, inDrive: r.loadedIn !== null }));
    });
  }
}
