// Writes a restore's plan page by page: the selected versions arrive through a database cursor a
// few thousand at a time; for each page the copies to read are chosen (buildRestorePlan's rules)
// and its entries stored (RestorePlanStore), which orders them by tape position when the agent
// reads them. Only counts and the set of tapes stay in memory, so a selection of millions of
// entries plans in flat memory. A run verify's plan is written the same way (every checkable
// placement of each content the run recorded, buildVerifyPlan's rules).
import { Injectable } from '@nestjs/common';
import type { RestoreItem, RestoreTape } from '@ferrite/proto';
import type { ResolvedRestore } from './files.contract.js';
import { FilesErrorCode, filesError } from './files.errors.js';
import { FileSearchRepository, type FileVersionRow } from './file-search.repository.js';
import { buildRestorePlan, tallyReaders, type ReaderScore } from './restore-plan.js';
import { RestorePlanStore, type PlanEntry } from './restore-plan.store.js';
import { TapeAvailabilityRepository, type TapeReach } from './tape-availability.repository.js';
import { buildVerifyPlan } from './verify-plan.js';
import { VerifyPlanRepository } from './verify-plan.repository.js';
import type { ResolvedVerify } from './files.contract.js';

/** Versions read per page while a plan is written. */
export const PLAN_PAGE_SIZE = 5000;

/** A directory's depth orders entries that need no tape: a parent always comes before its children. */
function depthOf(path: string): number {
  let n = 0;
  for (const ch of path) if (ch === '/') n++;
  return n;
}

/** The rows to store for one page's part of a plan: its tapes' items, then what needs no tape. */
function entriesOf(tapes: RestoreTape[], metadataItems: RestoreItem[] = []): PlanEntry[] {
  const rows: PlanEntry[] = [];
  for (const tape of tapes) {
    for (const item of tape.items) {
      const loc = item.location!;
      rows.push({ barcode: tape.barcode, partition: loc.partition, startBlock: loc.startBlock, offset: loc.offset, item });
    }
  }
  for (const item of metadataItems) rows.push({ barcode: '', partition: '', startBlock: depthOf(item.path), offset: 0, item });
  return rows;
}

@Injectable()
export class RestorePlanWriter {
  constructor(
    private readonly search: FileSearchRepository,
    private readonly tapeAvailability: TapeAvailabilityRepository,
    private readonly store: RestorePlanStore,
    private readonly verifyPlan: VerifyPlanRepository,
  ) {}

  /** The stored plan of `pages`' versions (all of one host) for a restore on `agentId`; NOTHING_TO_RESTORE when there are none. */
  async write(host: string, pages: AsyncIterable<FileVersionRow[]>, emptyMessage: string, agentId: string | null): Promise<ResolvedRestore> {
    const planId = await this.store.create();
    try {
      const barcodes = new Set<string>();
      const reach = new Map<string, TapeReach>();
      const totals = { entryCount: 0, fileCount: 0, byteCount: 0, readBytes: 0 };
      for await (const versions of pages) {
        const contentIds = [...new Set(versions.filter((v) => v.type === 'FILE' && v.size > 0 && v.contentId).map((v) => v.contentId!))];
        const placements = await this.search.placementsOf(contentIds);
        const unknown = [...new Set(placements.map((p) => p.barcode))].filter((b) => !reach.has(b));
        for (const [barcode, r] of await this.tapeAvailability.reach(unknown, agentId)) reach.set(barcode, r);
        // A file with several copies is read from the one the agent can read now (copy 1 first); the
        // others in its library are named as alternates, read if that one fails its SHA-256.
        const part = buildRestorePlan(
          host,
          versions,
          placements,
          (barcode) => reach.get(barcode)?.rank ?? 2,
          (barcode) => reach.get(barcode)?.here ?? false,
        );
        await this.store.add(planId, entriesOf(part.tapes, part.metadataItems));
        totals.entryCount += versions.length;
        totals.fileCount += part.fileCount;
        totals.byteCount += part.byteCount;
        for (const tape of part.tapes) {
          barcodes.add(tape.barcode);
          for (const item of tape.items) totals.readBytes += item.location!.length;
        }
      }
      if (totals.entryCount === 0) throw filesError(FilesErrorCode.NOTHING_TO_RESTORE, emptyMessage);
      const tapes = [...barcodes].sort().map((barcode) => ({ barcode, items: [] }));
      return { host, planId, tapes, metadataItems: [], ...totals };
    } catch (err) {
      await this.store.remove(planId).catch(() => undefined);
      throw err;
    }
  }

  /** Each agent's share of a selection: files it holds a complete copy of, entries it wrote. */
  async readers(pages: AsyncIterable<FileVersionRow[]>): Promise<Map<string, ReaderScore>> {
    const scores = new Map<string, ReaderScore>();
    const holders = new Map<string, string | undefined>();
    const writers = new Map<string, string | undefined>();
    for await (const versions of pages) {
      const contentIds = [...new Set(versions.filter((v) => v.type === 'FILE' && v.size > 0 && v.contentId).map((v) => v.contentId!))];
      const placements = await this.search.placementsOf(contentIds);
      const tapes = [...new Set(placements.map((p) => p.barcode))].filter((b) => !holders.has(b));
      const found = await this.tapeAvailability.holders(tapes);
      for (const b of tapes) holders.set(b, found.get(b));
      const jobs = [...new Set(versions.map((v) => v.jobId))].filter((j) => !writers.has(j));
      const ran = await this.tapeAvailability.jobAgents(jobs);
      for (const j of jobs) writers.set(j, ran.get(j));
      tallyReaders(
        versions,
        placements,
        (b) => holders.get(b),
        (j) => writers.get(j),
        scores,
      );
    }
    return scores;
  }

  /** The stored plan of a run verify: each content the run recorded, every copy on a tape that is not retired. */
  async writeRunVerify(runId: string, emptyMessage: string): Promise<ResolvedVerify> {
    const planId = await this.store.create();
    try {
      const barcodes = new Set<string>();
      const totals = { objectCount: 0, byteCount: 0, partialSegments: 0 };
      for await (const contents of this.search.runContentPages(runId, PLAN_PAGE_SIZE)) {
        const paths = new Map(contents.map((c) => [c.contentId, c.path]));
        const part = buildVerifyPlan(await this.verifyPlan.ofContents([...paths.keys()]), (id) => paths.get(id) ?? '');
        await this.store.add(planId, entriesOf(part.tapes));
        for (const tape of part.tapes) barcodes.add(tape.barcode);
        totals.objectCount += part.objectCount;
        totals.byteCount += part.byteCount;
        totals.partialSegments += part.partialSegments;
      }
      if (totals.objectCount === 0) throw filesError(FilesErrorCode.NOTHING_TO_VERIFY, emptyMessage, { runId });
      return { planId, tapes: [...barcodes].sort().map((barcode) => ({ barcode, items: [] })), ...totals, streamed: true };
    } catch (err) {
      await this.store.remove(planId).catch(() => undefined);
      throw err;
    }
  }

  /** A plan whose job was never created (refused after it was written). */
  discard(planId: string): Promise<void> {
    return this.store.remove(planId);
  }
}
