// Catalog search for operators: the `files` connection, the versions of one path, and the opt-in
// total count. Validates and normalizes input, resolves names (host, tape) to ids, pages by id.
import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor, queryHash } from './cursor.js';
import { checkPageSize, normalizeFileFilter, type FileFilterLike, type NormalizedFileFilter } from './file-query.js';
import { FileSearchRepository, type FileSearchQuery, type FileVersionRow, type PlacementRow } from './file-search.repository.js';
import { FilesErrorCode, filesError } from './files.errors.js';
import { isBigintId, isUuid } from './ids.js';
import type { FileVersionConnection } from './models/file-version-connection.model.js';
import { toFileVersionModel, type FileVersionModel } from './models/file-version.model.js';
import { normalizePath } from './paths.js';
import type { TapeLossImpactModel } from './models/tape-loss-impact.model.js';
import { TapeLossRepository } from './tape-loss.repository.js';

@Injectable()
export class FileSearchService {
  constructor(
    private readonly repo: FileSearchRepository,
    private readonly tapeLoss: TapeLossRepository,
  ) {}

  /** What would be lost if the tape died (TAPE_NOT_FOUND for an unknown barcode). */
  async tapeLossImpact(barcode: string, first: number | null | undefined): Promise<TapeLossImpactModel> {
    const limit = checkPageSize(first);
    const tapeId = await this.repo.requireTapeId(barcode);
    const [totals, rows] = await Promise.all([this.tapeLoss.totals(tapeId), this.tapeLoss.versions(tapeId, limit)]);
    return { barcode, ...totals, files: await this.withPlacements(rows) };
  }

  async files(filter: FileFilterLike | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<FileVersionConnection> {
    const limit = checkPageSize(first);
    const normalized = normalizeFileFilter(filter);
    const hash = queryHash({ files: normalized });
    let afterId: string | undefined;
    if (after !== null && after !== undefined) {
      const [id] = decodeCursor(after, hash, 1);
      if (!isBigintId(id)) throw filesError(FilesErrorCode.INVALID_CURSOR, 'the cursor is not one this server issued');
      afterId = id;
    }
    const query = await this.resolveNames(normalized);
    const rows = await this.repo.search(query, afterId, limit + 1);
    const page = rows.slice(0, limit);
    const nodes = await this.withPlacements(page);
    const edges = nodes.map((node) => ({ cursor: encodeCursor([node.id], hash), node }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
      query,
    };
  }

  /** Counts what a `files` query matches; only run when a client asks for totalCount. */
  async count(query: FileSearchQuery): Promise<number> {
    return this.repo.count(query);
  }

  /** Every version of one path on one host, newest first. */
  async fileVersions(host: string, path: string): Promise<FileVersionModel[]> {
    const normalized = normalizePath(path);
    const hostId = await this.repo.hostId(host);
    if (hostId === undefined) throw filesError(FilesErrorCode.HOST_NOT_FOUND, `host ${JSON.stringify(host)} has nothing in the catalog`, { host });
    return this.withPlacements(await this.repo.versionsOf(hostId, normalized));
  }

  private async withPlacements(rows: FileVersionRow[]): Promise<FileVersionModel[]> {
    const contentIds = [...new Set(rows.map((r) => r.contentId).filter((id): id is string => id !== null))];
    const byContent = new Map<string, PlacementRow[]>();
    for (const p of await this.repo.placementsOf(contentIds)) {
      const list = byContent.get(p.contentId);
      if (list) list.push(p);
      else byContent.set(p.contentId, [p]);
    }
    return rows.map((r) => toFileVersionModel(r, r.contentId ? (byContent.get(r.contentId) ?? []) : []));
  }

  /** Host, tape and run names become ids; an unknown one is an error, not an empty page. */
  private async resolveNames(f: NormalizedFileFilter): Promise<FileSearchQuery> {
    const q: FileSearchQuery = {
      name: f.name ? { kind: f.name.kind, pattern: f.name.pattern, caseInsensitive: f.name.caseInsensitive } : undefined,
      pathPrefix: f.pathPrefix,
      mtimeFrom: f.mtimeFrom,
      mtimeTo: f.mtimeTo,
      archivedFrom: f.archivedFrom,
      archivedTo: f.archivedTo,
      sizeMin: f.sizeMin,
      sizeMax: f.sizeMax,
      maxCopies: f.maxCopies,
      sha256Hex: f.sha256Hex,
      type: f.type,
      includeDeleted: f.includeDeleted,
    };
    if (f.host !== undefined) {
      q.hostId = await this.repo.hostId(f.host);
      if (q.hostId === undefined)
        throw filesError(FilesErrorCode.HOST_NOT_FOUND, `host ${JSON.stringify(f.host)} has nothing in the catalog`, { host: f.host });
    }
    if (f.tape !== undefined) {
      q.tapeId = await this.repo.requireTapeId(f.tape);
    }
    if (f.runId !== undefined) {
      if (!isUuid(f.runId) || (await this.repo.runHost(f.runId)) === undefined) {
        throw filesError(FilesErrorCode.RUN_NOT_FOUND, `run ${JSON.stringify(f.runId)} does not exist`, { runId: f.runId });
      }
      q.runId = f.runId;
    }
    return q;
  }
}
