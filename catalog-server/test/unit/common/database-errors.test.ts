import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerriteError } from '../../../src/common/errors.js';
import { dbOperation, isUniqueViolation, sqlState, translateDatabaseError } from '../../../src/database/database-errors.js';

describe('translateDatabaseError', () => {
  it('turns a statement timeout into QUERY_TIMEOUT, wherever the SQLSTATE sits', () => {
    const pgError = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    assert.equal(translateDatabaseError(pgError, 'searching files').code, 'QUERY_TIMEOUT');
    const prismaWrapped = Object.assign(new Error('raw query failed'), { code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '57014' } } } });
    assert.equal(sqlState(prismaWrapped), '57014');
    assert.equal(translateDatabaseError(prismaWrapped, 'x').code, 'QUERY_TIMEOUT');
  });

  it('wraps anything else as CATALOG_ERROR naming the operation, never the database message, and lets FerriteErrors through', () => {
    const raw = Object.assign(new Error('duplicate key value violates unique constraint "secret_table_pkey"'), { code: '23505' });
    const err = translateDatabaseError(raw, 'storing a file batch');
    assert.equal(err.code, 'CATALOG_ERROR');
    assert.equal(err.message, 'the catalog database failed while storing a file batch; the server log has the details');
    assert.doesNotMatch(err.message, /secret_table|duplicate/);
    assert.deepEqual(err.details, { sqlState: '23505', prismaCode: undefined });
    assert.equal(err.cause, raw, 'the database error travels as the cause, for the log');
    const own = new FerriteError('TAPE_NOT_FOUND', 'x');
    assert.equal(translateDatabaseError(own, 'y'), own);
  });

  it('is what every repository operation throws', async () => {
    await assert.rejects(
      dbOperation('reading tapes', async () => {
        throw Object.assign(new Error('relation "tape" does not exist'), { code: '42P01' });
      }),
      (err: FerriteError) => err.code === 'CATALOG_ERROR' && /reading tapes/.test(err.message) && !/relation/.test(err.message),
    );
    const own = new FerriteError('JOB_NOT_FOUND', 'no job');
    await assert.rejects(
      dbOperation('x', async () => {
        throw own;
      }),
      (err) => err === own,
    );
    assert.equal(isUniqueViolation(Object.assign(new Error('dup'), { cause: { code: '23505' } })), true);
  });
});
