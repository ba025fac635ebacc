// GraphQL edge for tape operations: each mutation calls one service method. Job-backed operations
// return the job (follow it with jobUpdated); retireTape and markOffsite return the tape.
import { Args, Int, Mutation, Resolver } from '@nestjs/graphql';
import { JobModel } from '../jobs/lifecycle/models/job.model.js';
import { TapeModel } from '../tapes/models/tape.model.js';
import { TapeOperationsService } from './tape-operations.service.js';
import { RequireRole, Role } from '../auth/roles.js';

const optionalString = (description: string) => ({ type: () => String, nullable: true, description });

@Resolver()
export class TapeOperationsResolver {
  constructor(private readonly ops: TapeOperationsService) {}

  @RequireRole(Role.OPERATOR)
  @Mutation(() => JobModel, {
    description: "Rescans an agent's library (or all of them) and updates every tape's location; satisfies operator requests for tapes it finds.",
  })
  inventory(
    @Args('agent') agent: string,
    @Args('library', optionalString("Library (changer) name; all of the agent's libraries when omitted.")) library: string | null,
  ): Promise<JobModel> {
    return this.ops.inventory(agent, library);
  }

  @RequireRole(Role.OPERATOR)
  @Mutation(() => JobModel, {
    description:
      'Loads a tape from its slot into a drive. A tape in no library needs `agent`: an operator request asks someone to insert it, and the job waits.',
  })
  loadTape(
    @Args('barcode') barcode: string,
    @Args('drive', optionalString("Drive name; an empty idle drive of the tape's library when omitted.")) drive: string | null,
    @Args('agent', optionalString('Agent whose library should receive a tape that is in no library.')) agent: string | null,
    @Args('library', optionalString('Library of that agent (when it has several).')) library: string | null,
  ): Promise<JobModel> {
    return this.ops.loadTape(barcode, drive, { agent, library });
  }

  @RequireRole(Role.OPERATOR)
  @Mutation(() => JobModel, { description: 'Sends the tape in a drive back to a slot (its home slot unless `toSlot`). Name the tape, or the agent and drive.' })
  unloadTape(
    @Args('barcode', optionalString('Tape to unload.')) barcode: string | null,
    @Args('agent', optionalString('Agent of the drive (with `drive`).')) agent: string | null,
    @Args('drive', optionalString('Drive to empty (with `agent`).')) drive: string | null,
    @Args('toSlot', { type: () => Int, nullable: true }) toSlot: number | null,
  ): Promise<JobModel> {
    return this.ops.unloadTape(barcode, agent, drive, toSlot);
  }

  @RequireRole(Role.OPERATOR)
  @Mutation(() => JobModel, { description: 'Moves a tape from its slot to another slot of the same library (including import/export slots).' })
  moveTape(@Args('barcode') barcode: string, @Args('toSlot', { type: () => Int }) toSlot: number): Promise<JobModel> {
    return this.ops.moveTape(barcode, toSlot);
  }

  @RequireRole(Role.OPERATOR)
  @Mutation(() => JobModel, {
    description: "Checks a tape's LTFS volume (ltfsck). `repair` fixes a volume left dirty; `rollbackGeneration` (with repair) rolls the index back.",
  })
  checkTape(
    @Args('barcode') barcode: string,
    @Args('repair', { type: () => Boolean, nullable: true, defaultValue: false }) repair: boolean,
    @Args('rollbackGeneration', { type: () => Int, nullable: true }) rollbackGeneration: number | null,
    @Args('agent', optionalString('Agent whose library should receive a tape that is in no library.')) agent: string | null,
    @Args('library', optionalString('Library of that agent.')) library: string | null,
  ): Promise<JobModel> {
    return this.ops.checkTape(barcode, repair ?? false, rollbackGeneration, { agent, library });
  }

  @RequireRole(Role.OPERATOR)
  @Mutation(() => JobModel, {
    description: 'Cleans a drive with a cleaning cartridge (CLN) from its library. Refused for a drive that has not asked for cleaning unless `force`.',
  })
  cleanDrive(
    @Args('agent') agent: string,
    @Args('drive') drive: string,
    @Args('cleaningTape', optionalString('Cleaning cartridge to use; the first one in the library when omitted.')) cleaningTape: string | null,
    @Args('force', { type: () => Boolean, nullable: true, defaultValue: false }) force: boolean,
  ): Promise<JobModel> {
    return this.ops.cleanDrive(agent, drive, cleaningTape, force ?? false);
  }

  @RequireRole(Role.ADMIN)
  @Mutation(() => TapeModel, { description: 'Retires a tape: it takes no more data and is never chosen for a backup. A loaded tape is also unloaded.' })
  retireTape(@Args('barcode') barcode: string): Promise<TapeModel> {
    return this.ops.retireTape(barcode);
  }

  @RequireRole(Role.OPERATOR)
  @Mutation(() => TapeModel, {
    description: 'Records that a tape (already out of every library) is kept offsite. An inventory that finds it again brings it back.',
  })
  markOffsite(
    @Args('barcode') barcode: string,
    @Args('location', optionalString('Where it is kept, e.g. "vault B, box 12".')) location: string | null,
  ): Promise<TapeModel> {
    return this.ops.markOffsite(barcode, location);
  }
}
