// The only code that reads and writes agents, drives and changers, and the tape locations an agent
// reports (registration and heartbeats). Registration is one transaction: a re-register replaces
// the agent's drives and changers by name and moves tapes, and never duplicates a row.
import { Injectable } from '@nestjs/common';
import { Prisma, type Agent, type Changer, type Drive, type DriveState } from '@ferrite/db';
import { PrismaService } from '../../database/prisma.service.js';
import { dbOperation } from '../../database/database-errors.js';
import type { Registration } from './registration.js';
import { TapesRepository } from '../tapes/tapes.repository.js';

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
  constructor(
    private readonly prisma: PrismaService,
    private readonly tapes: TapesRepository,
  ) {}

  /** Upserts the agent and everything it reported; returns the agent's id. */
  register(reg: Registration, sessionId: string, now: Date): Promise<string> {
    return dbOperation('register agent', () =>
      this.prisma.client.$transaction(
        async (tx) => {
          const agentFields = {
            hostname: reg.hostname,
            version: reg.version,
            allowedRestoreRoots: reg.allowedRestoreRoots,
            allowedBackupRoots: reg.policy?.allowedBackupRoots ?? [],
            allowFormat: reg.policy?.allowFormat ?? null,
            allowForceFormat: reg.policy?.allowForceFormat ?? null,
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
    await this.tapes.applySightings(tx, agentId, reg.tapes, changerIds);
    // A tape this agent now holds cannot still be in another agent's drive.
    await tx.$executeRaw`
      UPDATE drive SET loaded_tape_id = NULL
      WHERE agent_id <> ${agentId}::uuid AND loaded_tape_id IN (SELECT id FROM tape WHERE agent_id = ${agentId}::uuid)`;
    await this.replaceDrives(tx, agentId, reg, changerIds);
    // A tape that left keeps the agent it left, so a job for it later knows whom to ask for it.
    await this.tapes.releaseUnseen(
      tx,
      agentId,
      reg.tapes.map((t) => t.barcode),
    );
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
        await this.tapes.placeInDriveOf(tx, tape.id, agentId, drive.changerId);
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
