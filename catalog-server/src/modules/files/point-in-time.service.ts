// Browsing the catalog at a point in time: `directory(host, path, asOf)` and the entry set of a
// restore "as of". asOf is a run id (the state that run saw) or an instant (for every source root
// of the host, the newest run that had finished successfully by then); absent means now.
import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor, queryHash } from './cursor.js';
import { checkPageSize } from './file-query.js';
import { FileSearchRepository } from './file-search.repository.js';
import { FilesErrorCode, filesError } from './files.errors.js';
import { isUuid } from './ids.js';
import { toFileVersionModel } from './models/file-version.model.js';
import type { DirectoryListing } from './models/directory-listing.model.js';
import { normalizePath } from './paths.js';
import { PointInTimeRepository, stateUnderQuery } from './point-in-time.repository.js';
import type { AsOf } from './run-state.js';
import type { SqlQuery } from './sql-runner.js';

@Injectable()
export class PointInTimeService {
  constructor(
    private readonly repo: PointInTimeRepository,
    private readonly search: FileSearchRepository,
  ) {}

  /** Host id and the parsed point in time. HOST_NOT_FOUND, RUN_NOT_FOUND, INVALID_ARGUMENT. */
  async resolve(host: string, asOf: string | null | undefined): Promise<{ hostId: number; asOf: AsOf }> {
    const hostId = await this.search.hostId(host);
    if (hostId === undefined) throw filesError(FilesErrorCode.HOST_NOT_FOUND, `host ${JSON.stringify(host)} has nothing in the catalog`, { host });
    if (asOf === null || asOf === undefined || asOf === '') return { hostId, asOf: { hostId, at: new Date() } };
    if (isUuid(asOf)) {
      const runHost = await this.repo.hostOfRun(asOf);
      if (runHost === undefined) throw filesError(FilesErrorCode.RUN_NOT_FOUND, `run ${JSON.stringify(asOf)} does not exist`, { runId: asOf });
      if (runHost !== hostId) throw filesError(FilesErrorCode.INVALID_ARGUMENT, `run ${asOf} backed up another host, not ${host}`, { runId: asOf, host });
      return { hostId, asOf: { runId: asOf } };
    }
    // An instant: ISO 8601 with a date (a bare number or word is more likely a mistake than a time).
    const at = /^\d{4}-\d{2}-\d{2}/.test(asOf) ? new Date(asOf) : new Date(Number.NaN);
    if (Number.isNaN(at.getTime())) {
      throw filesError(FilesErrorCode.INVALID_ARGUMENT, `asOf ${JSON.stringify(asOf)} is neither a run id nor an ISO 8601 instant`, { asOf });
    }
    return { hostId, asOf: { hostId, at } };
  }

  async directory(
    host: string,
    path: string,
    asOf: string | null | undefined,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<DirectoryListing> {
    const dir = normalizePath(path);
    const limit = checkPageSize(first);
    const point = await this.resolve(host, asOf);
    const hash = queryHash({ directory: { host, path: dir, asOf: asOf ?? null } });
    let at = point.asOf;
    let afterName: string | undefined;
    if (after !== null && after !== undefined) {
      const [name, pin] = decodeCursor(after, hash, 2);
      afterName = String(name);
      // An instant is pinned in the cursor, so "now" does not move between pages.
      if ('at' in at) {
        const pinned = new Date(String(pin));
        if (Number.isNaN(pinned.getTime())) throw filesError(FilesErrorCode.INVALID_CURSOR, 'the cursor is not one this server issued');
        at = { hostId: point.hostId, at: pinned };
      }
    }
    if (!(await this.repo.directoryExists(point.hostId, dir))) {
      throw filesError(FilesErrorCode.FILE_NOT_FOUND, `no directory ${JSON.stringify(dir)} was ever archived on ${host}`, { host, path: dir });
    }
    const rows = await this.repo.listDirectory(at, point.hostId, dir, afterName, limit + 1);
    const pin = 'at' in at ? at.at.toISOString() : at.runId;
    const edges = rows.slice(0, limit).map((r) => ({ cursor: encodeCursor([r.name, pin], hash), node: toFileVersionModel(r, []) }));
    return { host, path: dir, edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  /** The query selecting every live entry at or under `prefix` as of a point in time, to read page
   *  by page (a restore plan). */
  async entriesUnderQuery(host: string, prefix: string, asOf: string): Promise<SqlQuery> {
    const point = await this.resolve(host, asOf);
    return stateUnderQuery(point.asOf, point.hostId, prefix);
  }
}
