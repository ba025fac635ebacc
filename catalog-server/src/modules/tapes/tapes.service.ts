// Tapes: lookups for the API and for job validation, and registering a cartridge by hand.
import { Injectable } from '@nestjs/common';
import { offsetAfter, offsetConnection, pageSize, type ConnectionShape, type PageArgs } from '../../common/pagination.js';
import type { TapeFilterInput } from './dto/tape-filter.input.js';
import type { TapeModel } from './models/tape.model.js';
import {
  generationFromBarcode,
  isCleaningBarcode,
  isValidBarcode,
  isWormBarcode,
  MAX_TAPE_GENERATION,
  MIN_TAPE_GENERATION,
  nativeCapacityBytes,
} from './tape-generations.js';
import { toTapeModel } from './tape.mapper.js';
import { TapeErrors } from './tapes.errors.js';
import { TapesRepository, type TapeRow } from './tapes.repository.js';

@Injectable()
export class TapesService {
  constructor(private readonly tapes: TapesRepository) {}

  async findByBarcode(barcode: string): Promise<TapeRow | null> {
    return this.tapes.findByBarcode(barcode);
  }

  async getByBarcode(barcode: string): Promise<TapeRow> {
    const tape = await this.tapes.findByBarcode(barcode);
    if (!tape) throw TapeErrors.notFound(barcode);
    return tape;
  }

  async findModelById(id: string): Promise<TapeModel | null> {
    const row = await this.tapes.findById(id);
    return row ? toTapeModel(row) : null;
  }

  findByBarcodes(barcodes: string[]): Promise<TapeRow[]> {
    return this.tapes.findByBarcodes(barcodes);
  }

  hasPlacements(tapeId: string): Promise<boolean> {
    return this.tapes.hasPlacements(tapeId);
  }

  listFormattedInLibrary(agentId: string): Promise<TapeRow[]> {
    return this.tapes.listFormattedInLibrary(agentId);
  }

  listWritableInLibrary(agentId: string): Promise<TapeRow[]> {
    return this.tapes.listWritableInLibrary(agentId);
  }

  async list(filter: TapeFilterInput | null | undefined, page: PageArgs): Promise<ConnectionShape<TapeModel>> {
    const size = pageSize(page.first);
    const offset = offsetAfter(page.after);
    const { rows, total } = await this.tapes.list(
      {
        state: filter?.state ?? undefined,
        agentName: filter?.agent ?? undefined,
        poolName: filter?.pool ?? undefined,
        notVerifiedSince: filter?.notVerifiedSince ?? undefined,
      },
      offset,
      size + 1,
    );
    return offsetConnection(rows, size, offset, total, toTapeModel);
  }

  /** A verify job's result on one tape (see TapesRepository.recordVerify). */
  recordVerify(barcode: string, at: Date, result: string, failed: number, wholeTape: boolean): Promise<{ before: string; after: string } | null> {
    return this.tapes.recordVerify(barcode, at, result.slice(0, 500), failed, wholeTape);
  }

  applyRebuildLabel(barcode: string, label: { volumeUuid: string | null; createdAt: Date | null; pool: string | null }): Promise<void> {
    return this.tapes.applyRebuildLabel(barcode, label);
  }

  /** The outcome of a check job (CONSISTENT / NEEDS_REPAIR / REPAIRED / ROLLED_BACK / FAILED: ...). */
  retire(tapeId: string): Promise<void> {
    return this.tapes.retire(tapeId);
  }

  /** False when a library reports the tape after all (only a tape in none can go offsite). */
  markOffsite(tapeId: string, location: string | null): Promise<boolean> {
    return this.tapes.markOffsite(tapeId, location);
  }

  recordCheck(barcode: string, at: Date, result: string): Promise<void> {
    return this.tapes.recordCheck(barcode, at, result.slice(0, 500));
  }

  /** A cartridge on a shelf that no library has reported yet. */
  async register(barcode: string, generation: number | null | undefined): Promise<TapeModel> {
    if (!isValidBarcode(barcode)) throw TapeErrors.invalidBarcode(barcode);
    const gen = generation ?? generationFromBarcode(barcode);
    if (gen === null || !Number.isInteger(gen) || gen < MIN_TAPE_GENERATION || gen > MAX_TAPE_GENERATION) {
      throw TapeErrors.invalidGeneration(gen ?? 0);
    }
    const cleaning = isCleaningBarcode(barcode);
    const row = await this.tapes.create({
      barcode,
      generation: gen,
      capacityBytes: cleaning ? 0 : nativeCapacityBytes(gen)!,
      worm: isWormBarcode(barcode),
      cleaning,
    });
    return toTapeModel(row);
  }
}
