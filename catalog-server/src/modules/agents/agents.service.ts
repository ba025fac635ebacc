// Agents: registration (with a new session each time), heartbeats, going offline, and the
// lookups the API and the job logic need.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { HeartbeatRequest, LibraryInventory, RegisterRequest } from '@ferrite/proto';
import { SERVER_CONFIG, type ServerConfig } from '../../config/config.js';
import { isUuid } from '../../common/ids.js';
import { LOGGER, type Logger } from '../../common/logger.js';
import { offsetAfter, offsetConnection, pageSize, type ConnectionShape, type PageArgs } from '../../common/pagination.js';
import { toAgentModel, toChangerModel, toDriveModel } from './agent.mapper.js';
import { AgentErrors } from './agents.errors.js';
import { AgentsRepository, type AgentRow, type DriveRow } from './agents.repository.js';
import { ChangerLayoutCache } from './changer-layout.cache.js';
import type { AgentModel } from './models/agent.model.js';
import type { ChangerModel, SlotModel } from './models/changer.model.js';
import type { DriveModel } from './models/drive.model.js';
import { cleanAlerts, parseRegistration, protoDriveState } from './registration.js';

export interface RegisterResult {
  agentId: string;
  sessionId: string;
  heartbeatIntervalMs: number;
}

@Injectable()
export class AgentsService {
  private readonly log: Logger;

  constructor(
    private readonly agents: AgentsRepository,
    private readonly layouts: ChangerLayoutCache,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'agents' });
  }

  async register(req: RegisterRequest): Promise<RegisterResult> {
    const reg = parseRegistration(req);
    const sessionId = randomUUID();
    const agentId = await this.agents.register(reg, sessionId, new Date());
    this.layouts.replace(agentId, reg.changers);
    this.log.info(
      { agent: reg.agentName, agentId, sessionId, drives: reg.drives.length, changers: reg.changers.length, tapes: reg.tapes.length },
      'agent registered',
    );
    return { agentId, sessionId, heartbeatIntervalMs: this.config.heartbeatIntervalMs };
  }

  /**
   * What an agent's libraries hold after one of its jobs: the catalog follows every cartridge move,
   * (JobsWaitingService then satisfies operator requests for tapes that have arrived).
   */
  async applyInventory(agentId: string, inventory: LibraryInventory): Promise<void> {
    const agent = await this.findById(agentId);
    if (!agent) throw AgentErrors.idNotFound(agentId);
    const reg = parseRegistration({
      agentName: agent.name,
      hostname: agent.hostname,
      version: agent.version,
      allowedRestoreRoots: agent.allowedRestoreRoots,
      // The agent's policy is not what an inventory changes (applyInventory leaves it as it is).
      allowedBackupRoots: [],
      allowFormat: false,
      allowForceFormat: false,
      drives: inventory.drives,
      changers: inventory.changers,
      tapes: inventory.tapes,
    });
    await this.agents.applyInventory(agentId, reg);
    this.layouts.replace(agentId, reg.changers);
    this.log.debug({ agent: agent.name, tapes: reg.tapes.length }, 'inventory applied');
  }

  /** Names of the agent's changers (for operator requests that name none). */
  async changerNamesOf(agentId: string): Promise<string[]> {
    return (await this.agents.changersOf(agentId)).map((c) => c.name);
  }

  /**
   * The standalone drive(s) an operator request names when the agent has no library: "st0", or
   * "st0 or st1"; null when the agent has a library (or no drive).
   */
  async standaloneDrivesToAskFor(agentId: string): Promise<string | null> {
    if ((await this.agents.changersOf(agentId)).length > 0) return null;
    const names = (await this.agents.drivesOf(agentId)).filter((d) => d.changerId === null).map((d) => d.name);
    return names.length ? names.join(' or ') : null;
  }

  /** False when the agent must register again (unknown agent, or an old session). */
  async heartbeat(req: HeartbeatRequest): Promise<boolean> {
    if (!isUuid(req.agentId) || !isUuid(req.sessionId)) return false;
    const drives = req.drives.map((d) => {
      const loadedBarcode = d.loadedBarcode.trim() || null;
      return { name: d.name, state: protoDriveState(d.state, loadedBarcode !== null), loadedBarcode, alerts: cleanAlerts(d.alerts ?? []) };
    });
    return this.agents.heartbeat(req.agentId, req.sessionId, drives, new Date());
  }

  /** Whether `sessionId` is the agent's current session (the one its latest Register returned). */
  async isCurrentSession(agentId: string, sessionId: string): Promise<boolean> {
    if (!isUuid(agentId)) return false;
    const agent = await this.agents.findById(agentId);
    return agent !== null && agent.sessionId === sessionId;
  }

  markStaleOffline(cutoff: Date): Promise<{ id: string; name: string }[]> {
    return this.agents.markStaleOffline(cutoff);
  }

  async findById(id: string): Promise<AgentRow | null> {
    return isUuid(id) ? this.agents.findById(id) : null;
  }

  /** The agent an RPC names itself by; AGENT_NOT_FOUND (register again) when unknown. */
  async getById(id: string): Promise<AgentRow> {
    const agent = await this.findById(id);
    if (!agent) throw AgentErrors.idNotFound(id);
    return agent;
  }

  findByName(name: string): Promise<AgentRow | null> {
    return this.agents.findByName(name);
  }

  async getByName(name: string): Promise<AgentRow> {
    const agent = await this.agents.findByName(name);
    if (!agent) throw AgentErrors.notFound(name);
    return agent;
  }

  async findModelById(id: string): Promise<AgentModel | null> {
    const row = await this.findById(id);
    return row ? toAgentModel(row) : null;
  }

  /** Every registered agent (a site has a handful; the list is read whole). */
  async all(): Promise<AgentRow[]> {
    return (await this.agents.listAgents(0, 10_000)).rows;
  }

  async list(page: PageArgs): Promise<ConnectionShape<AgentModel>> {
    const size = pageSize(page.first);
    const offset = offsetAfter(page.after);
    const { rows, total } = await this.agents.listAgents(offset, size + 1);
    return offsetConnection(rows, size, offset, total, toAgentModel);
  }

  async listDrives(agentName: string | null | undefined, page: PageArgs): Promise<ConnectionShape<DriveModel>> {
    const size = pageSize(page.first);
    const offset = offsetAfter(page.after);
    const { rows, total } = await this.agents.listDrives(agentName ?? undefined, offset, size + 1);
    return offsetConnection(rows, size, offset, total, toDriveModel);
  }

  drivesOf(agentId: string): Promise<DriveRow[]> {
    return this.agents.drivesOf(agentId);
  }

  async driveModelsOf(agentId: string): Promise<DriveModel[]> {
    return (await this.agents.drivesOf(agentId)).map(toDriveModel);
  }

  async findDriveModel(id: string): Promise<DriveModel | null> {
    const row = isUuid(id) ? await this.agents.findDriveById(id) : null;
    return row ? toDriveModel(row) : null;
  }

  async changersOf(agentId: string): Promise<ChangerModel[]> {
    return (await this.agents.changersOf(agentId)).map(toChangerModel);
  }

  async findChangerModel(id: string): Promise<ChangerModel | null> {
    const row = await this.agents.findChangerById(id);
    return row ? toChangerModel(row) : null;
  }

  /** Every slot of the changer with the cartridge that sits in it now (null while it is in a drive). */
  async slotsOf(changer: ChangerModel): Promise<SlotModel[]> {
    const tapes = await this.agents.tapesInChanger(changer.id);
    const inSlot = new Map(tapes.filter((t) => !t.inDrive).map((t) => [t.slot, t.barcode]));
    const layout =
      this.layouts.get(changer.agentId, changer.name) ??
      Array.from({ length: changer.slotCount }, (_, i) => ({ slot: i + 1, barcode: null, importExport: false }));
    return layout.map((s) => ({ slot: s.slot, barcode: inSlot.get(s.slot) ?? null, importExport: s.importExport }));
  }
}
