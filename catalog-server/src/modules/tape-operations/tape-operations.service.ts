// Tape operations an operator asks for: inventory, load, unload, move, check, clean (each a job on
// the agent that holds the library), and the catalog-only retire and offsite. Every request is
// checked completely before anything is written, so bad input changes nothing. A job that needs a
// tape no library holds waits for an operator request instead of failing.
import { Inject, Injectable } from '@nestjs/common';
import type { JobKind } from '@ferrite/db';
import { LOGGER, type Logger } from '../../common/logger.js';
import { AgentsService } from '../agents/agents.service.js';
import type { AgentRow, DriveRow } from '../agents/agents.repository.js';
import { DispatcherService } from '../jobs/dispatch/dispatcher.service.js';
import type { CheckJobSpec, CleanJobSpec, InventoryJobSpec, LoadJobSpec, MoveJobSpec, UnloadJobSpec } from '../jobs/lifecycle/job-spec.js';
import { toJobModel } from '../jobs/lifecycle/job.mapper.js';
import { JobErrors } from '../jobs/lifecycle/jobs.errors.js';
import { JobsRepository, type JobRow } from '../jobs/lifecycle/jobs.repository.js';
import type { JobModel } from '../jobs/lifecycle/models/job.model.js';
import { libraryToAskFor } from '../operator-requests/operator-requests.service.js';
import { JobsWaitingService } from '../jobs/lifecycle/jobs-waiting.service.js';
import type { TapeModel } from '../tapes/models/tape.model.js';
import { toTapeModel } from '../tapes/tape.mapper.js';
import { isCleaningBarcode } from '../tapes/tape-generations.js';
import type { TapeRow } from '../tapes/tapes.repository.js';
import { TapesService } from '../tapes/tapes.service.js';
import { loadDriveProblem, moveSlotProblem, needsCleaning, pickLoadDrive, type DriveView } from './tape-operation-rules.js';
import { TapeOpErrors } from './tape-operations.errors.js';
import { TapeOperationsRepository } from './tape-operations.repository.js';

/** Robot moves first after restores (someone stands at the library), cleaning before anything that needs the drive. */
export const TAPE_OP_PRIORITY: Partial<Record<JobKind, number>> = { CLEAN: 90, LOAD: 80, UNLOAD: 80, MOVE: 80, INVENTORY: 80, CHECK: 40 };

/** Where a tape on a shelf should go: the agent, and optionally which of its libraries. */
export interface Destination {
  agent?: string | null;
  library?: string | null;
}

@Injectable()
export class TapeOperationsService {
  private readonly log: Logger;

  constructor(
    private readonly agents: AgentsService,
    private readonly tapes: TapesService,
    private readonly jobs: JobsRepository,
    private readonly ops: TapeOperationsRepository,
    private readonly waiting: JobsWaitingService,
    private readonly dispatcher: DispatcherService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'tape-operations' });
  }

  async inventory(agentName: string, library: string | null | undefined): Promise<JobModel> {
    const agent = await this.agents.getByName(agentName);
    if (library && !(await this.agents.changerNamesOf(agent.id)).includes(library)) throw TapeOpErrors.libraryNotFound(agent.name, library);
    const spec: InventoryJobSpec = { library: library || null };
    return this.create('INVENTORY', agent.id, spec);
  }

  async loadTape(barcode: string, driveName: string | null | undefined, dest: Destination): Promise<JobModel> {
    const tape = await this.dataTape(barcode);
    if (tape.loadedIn) throw TapeOpErrors.tapeAlreadyLoaded(barcode, tape.loadedIn.name);
    await this.assertTapeIdle(barcode);
    const agent = await this.agentFor(tape, dest);
    const drives = await this.driveViews(agent);
    let drive: DriveView | null;
    if (driveName) {
      drive = drives.find((d) => d.name === driveName) ?? null;
      if (!drive) throw TapeOpErrors.driveNotFound(agent.name, driveName);
      const problem = loadDriveProblem(drive, tape.agentId ? tape.changerId : null, tape.changer?.name ?? null, tape.generation);
      if (problem) throw problem;
    } else {
      drive = pickLoadDrive(drives, tape.agentId ? tape.changerId : null, tape.generation);
      if (!drive) throw TapeOpErrors.noDriveAvailable(agent.name, tape.changer?.name ?? null);
    }
    const spec: LoadJobSpec = { barcode, driveName: drive.name };
    return this.createOrRequest('LOAD', agent, tape, spec, dest.library ?? null);
  }

  async unloadTape(
    barcode: string | null | undefined,
    agentName: string | null | undefined,
    driveName: string | null | undefined,
    toSlot: number | null | undefined,
  ): Promise<JobModel> {
    let agent: AgentRow;
    let drive: DriveView | undefined;
    if (barcode) {
      const tape = await this.tapes.getByBarcode(barcode);
      if (!tape.loadedIn || !tape.agentId) throw TapeOpErrors.tapeNotLoaded(barcode);
      agent = (await this.agents.findById(tape.agentId))!;
      drive = (await this.driveViews(agent)).find((d) => d.name === tape.loadedIn!.name);
      if (driveName && driveName !== tape.loadedIn.name) throw TapeOpErrors.tapeInDrive(barcode, tape.loadedIn.name);
    } else {
      if (!agentName || !driveName) throw TapeOpErrors.invalidArgument('name the tape (barcode), or the agent and the drive to unload');
      agent = await this.agents.getByName(agentName);
      drive = (await this.driveViews(agent)).find((d) => d.name === driveName);
      if (!drive) throw TapeOpErrors.driveNotFound(agent.name, driveName);
    }
    if (!drive?.loadedBarcode) throw TapeOpErrors.driveEmpty(drive?.name ?? String(driveName));
    if (drive.busyJob) throw TapeOpErrors.driveBusy(drive.name, `job ${drive.busyJob}`);
    if (toSlot !== null && toSlot !== undefined) await this.assertSlotFree(agent, drive.changerId, drive.loadedBarcode, null, toSlot);
    const spec: UnloadJobSpec = { barcode: drive.loadedBarcode, driveName: drive.name, toSlot: toSlot ?? null };
    return this.create('UNLOAD', agent.id, spec);
  }

  async moveTape(barcode: string, toSlot: number): Promise<JobModel> {
    const tape = await this.tapes.getByBarcode(barcode);
    if (!tape.agentId || tape.slot === null || !tape.changerId) throw TapeOpErrors.tapeOnShelf(barcode);
    if (tape.loadedIn) throw TapeOpErrors.tapeInDrive(barcode, tape.loadedIn.name);
    await this.assertTapeIdle(barcode);
    const agent = (await this.agents.findById(tape.agentId))!;
    await this.assertSlotFree(agent, tape.changerId, barcode, tape.slot, toSlot);
    const spec: MoveJobSpec = { barcode, fromSlot: tape.slot, toSlot };
    return this.create('MOVE', agent.id, spec);
  }

  async checkTape(barcode: string, repair: boolean, rollbackGeneration: number | null | undefined, dest: Destination): Promise<JobModel> {
    const tape = await this.dataTape(barcode);
    if (rollbackGeneration !== null && rollbackGeneration !== undefined) {
      if (!Number.isInteger(rollbackGeneration) || rollbackGeneration < 1)
        throw TapeOpErrors.invalidArgument(`rollbackGeneration must be a positive index generation, not ${rollbackGeneration}`);
      if (!repair) throw TapeOpErrors.invalidArgument('a rollback rewrites the index: pass repair: true with rollbackGeneration');
    }
    if (!tape.formattedAt) throw JobErrors.tapeNotFormatted(barcode);
    if (repair && tape.writeProtected) throw JobErrors.tapeWriteProtected(barcode);
    await this.assertTapeIdle(barcode);
    const agent = await this.agentFor(tape, dest);
    const spec: CheckJobSpec = { barcode, repair, rollbackGeneration: rollbackGeneration ?? null };
    return this.createOrRequest('CHECK', agent, tape, spec, dest.library ?? null);
  }

  async cleanDrive(agentName: string, driveName: string, cleaningBarcode: string | null | undefined, force: boolean): Promise<JobModel> {
    const agent = await this.agents.getByName(agentName);
    const drive = (await this.driveViews(agent)).find((d) => d.name === driveName);
    if (!drive) throw TapeOpErrors.driveNotFound(agent.name, driveName);
    if (!drive.changerId) throw TapeOpErrors.driveNotInLibrary(drive.name, null);
    if (drive.busyJob) throw TapeOpErrors.driveBusy(drive.name, `job ${drive.busyJob}`);
    if (!force && !needsCleaning(drive)) throw TapeOpErrors.driveClean(drive.name);
    const library = (await this.agents.changersOf(agent.id)).find((c) => c.id === drive.changerId)!;
    let cartridge: string;
    if (cleaningBarcode) {
      const tape = await this.tapes.getByBarcode(cleaningBarcode);
      if (!tape.cleaning && !isCleaningBarcode(tape.barcode)) throw TapeOpErrors.notCleaningCartridge(cleaningBarcode);
      if (tape.changerId !== drive.changerId || tape.loadedIn) throw JobErrors.tapeNotInLibrary([cleaningBarcode], agent.name);
      cartridge = cleaningBarcode;
    } else {
      const found = await this.ops.cleaningCartridgesIn(drive.changerId);
      if (!found[0]) throw TapeOpErrors.noCleaningCartridge(library.name);
      cartridge = found[0];
    }
    const spec: CleanJobSpec = { driveName: drive.name, cleaningBarcode: cartridge };
    return this.create('CLEAN', agent.id, spec);
  }

  /** Catalog-only: the tape takes no more data and is never chosen again. A loaded tape is also sent home. */
  async retireTape(barcode: string): Promise<TapeModel> {
    const tape = await this.tapes.getByBarcode(barcode);
    await this.assertTapeIdle(barcode);
    if (tape.state !== 'RETIRED') await this.tapes.retire(tape.id);
    if (tape.loadedIn && tape.agentId) {
      const spec: UnloadJobSpec = { barcode, driveName: tape.loadedIn.name, toSlot: null };
      await this.create('UNLOAD', tape.agentId, spec);
    }
    this.log.info({ barcode }, 'tape retired');
    return toTapeModel(await this.tapes.getByBarcode(barcode));
  }

  /** Catalog-only: the tape left the site. It must already be out of every library. */
  async markOffsite(barcode: string, location: string | null | undefined): Promise<TapeModel> {
    const tape = await this.tapes.getByBarcode(barcode);
    if (tape.agentId) throw TapeOpErrors.tapeInLibrary(barcode, tape.agent?.name ?? tape.agentId);
    if (tape.state === 'RETIRED') throw TapeOpErrors.tapeRetired(barcode);
    await this.assertTapeIdle(barcode);
    const where = location?.trim() || null;
    if (where && where.length > 200) throw TapeOpErrors.invalidArgument('location: at most 200 characters');
    if (!(await this.tapes.markOffsite(tape.id, where))) throw TapeOpErrors.tapeInLibrary(barcode, 'an agent');
    this.log.info({ barcode, location: where }, 'tape marked offsite');
    return toTapeModel(await this.tapes.getByBarcode(barcode));
  }

  // ----- helpers -----

  /** A known data tape (not a cleaning cartridge, not retired). */
  private async dataTape(barcode: string): Promise<TapeRow> {
    const tape = await this.tapes.getByBarcode(barcode);
    if (tape.cleaning || isCleaningBarcode(barcode)) throw TapeOpErrors.cleaningCartridge(barcode);
    if (tape.state === 'RETIRED') throw TapeOpErrors.tapeRetired(barcode);
    return tape;
  }

  private async assertTapeIdle(barcode: string): Promise<void> {
    const pending = await this.jobs.unfinishedJobOnTape(barcode);
    if (pending) throw JobErrors.tapeBusy(barcode, pending);
  }

  /** The agent whose library holds the tape, or (for a tape in no library) the one the operator named. */
  private async agentFor(tape: TapeRow, dest: Destination): Promise<AgentRow> {
    if (tape.agentId) {
      const agent = (await this.agents.findById(tape.agentId))!;
      if (dest.agent && dest.agent !== agent.name) throw JobErrors.tapeNotInLibrary([tape.barcode], dest.agent);
      return agent;
    }
    if (!dest.agent) throw TapeOpErrors.tapeOnShelf(tape.barcode);
    const agent = await this.agents.getByName(dest.agent);
    if (dest.library && !(await this.agents.changerNamesOf(agent.id)).includes(dest.library)) throw TapeOpErrors.libraryNotFound(agent.name, dest.library);
    return agent;
  }

  private async driveViews(agent: AgentRow): Promise<DriveView[]> {
    const rows: DriveRow[] = await this.agents.drivesOf(agent.id);
    return Promise.all(
      rows.map(async (d) => ({
        name: d.name,
        generation: d.generation,
        state: d.state,
        changerId: d.changerId,
        loadedBarcode: d.loadedTapeId ? ((await this.tapes.findModelById(d.loadedTapeId))?.barcode ?? null) : null,
        busyJob: await this.ops.activeJobOnDrive(d.id, agent.id, d.name),
        alerts: d.alerts,
      })),
    );
  }

  private async assertSlotFree(agent: AgentRow, changerId: string | null, barcode: string, fromSlot: number | null, toSlot: number): Promise<void> {
    const changer = (await this.agents.changersOf(agent.id)).find((c) => c.id === changerId);
    if (!changer) throw TapeOpErrors.driveNotInLibrary(barcode, null);
    const layout = await this.agents.slotsOf(changer);
    const slots = await Promise.all(layout.map(async (s) => ({ slot: s.slot, occupant: await this.ops.tapeHomedAt(changer.id, s.slot) })));
    // The tape's own home slot is free for it (an unload back home).
    const view = slots.map((s) => (s.occupant?.barcode === barcode ? { ...s, occupant: null } : s));
    const problem = moveSlotProblem(fromSlot ?? -1, toSlot, view, changer.name);
    if (problem) throw problem;
  }

  /** The job, or, when the tape is in no library, the job plus a request to insert it. */
  private async createOrRequest(kind: JobKind, agent: AgentRow, tape: TapeRow, spec: object, library: string | null): Promise<JobModel> {
    if (tape.agentId) return this.create(kind, agent.id, spec);
    const asked = libraryToAskFor(library, await this.agents.changerNamesOf(agent.id));
    const job = await this.waiting.createJobWaitingForTape(
      { kind, agentId: agent.id, priority: TAPE_OP_PRIORITY[kind] ?? 50, spec },
      {
        barcode: tape.barcode,
        agentId: agent.id,
        agentName: agent.name,
        hostname: agent.hostname,
        library: asked,
        drive: asked ? null : await this.agents.standaloneDrivesToAskFor(agent.id),
      },
    );
    return this.created(job);
  }

  private async create(kind: JobKind, agentId: string, spec: object): Promise<JobModel> {
    const { job } = await this.jobs.create({ kind, agentId, priority: TAPE_OP_PRIORITY[kind] ?? 50, spec });
    return this.created(job);
  }

  private created(job: JobRow): JobModel {
    this.log.info({ job: job.id, kind: job.kind, agentId: job.agentId }, 'tape operation queued');
    this.dispatcher.kick();
    return toJobModel(job);
  }
}
