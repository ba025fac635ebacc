// A search that would scan too long is cut off by PostgreSQL's statement timeout and reported as
// QUERY_TIMEOUT, with a message that says so, rather than hanging the server. The timeout is set far
// below anything a scan of 30,000 names by regular expression can finish in.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FerriteError } from '../../../src/common/errors.js';
import { loadServerConfig } from '../../../src/config/config.js';
import { PrismaService } from '../../../src/database/prisma.service.js';
import { FileSearchRepository } from '../../../src/modules/files/file-search.repository.js';
import { FileSearchService } from '../../../src/modules/files/file-search.service.js';
import { TapeLossRepository } from '../../../src/modules/files/tape-loss.repository.js';
import { createFilesFixture, type FilesFixture } from './files-fixture.js';

describe('statement timeout', () => {
  let f: FilesFixture;
  let impatient: PrismaService;

  before(async () => {
    f = await createFilesFixture('files-timeout');
    await f.prisma.pool.query(`INSERT INTO file_name (name) SELECT 'n-' || md5(i::text) FROM generate_series(1, 30000) i`);
    // Below the configuration's minimum on purpose: only a test may want a 1 ms limit.
    impatient = new PrismaService(f.db.url, { ...loadServerConfig({}), statementTimeoutMs: 1 });
  });
  after(async () => {
    await impatient?.onModuleDestroy();
    await f.close();
  });

  it('cuts off a long scan with QUERY_TIMEOUT', async () => {
    const search = new FileSearchService(new FileSearchRepository(impatient), new TapeLossRepository(impatient));
    let error: unknown;
    try {
      await search.files({ nameGlob: '*[0-9]*[a-f]*9*[b-c]*' }, 10, undefined);
    } catch (err) {
      error = err;
    }
    assert.ok(error instanceof FerriteError, String(error));
    assert.equal(error.code, 'QUERY_TIMEOUT');
    assert.match(error.message, /took too long/);
    // The same query with the normal limit answers.
    assert.deepEqual((await f.search.files({ nameGlob: '*[0-9]*[a-f]*9*[b-c]*' }, 10, undefined)).edges, []);
  });
});
