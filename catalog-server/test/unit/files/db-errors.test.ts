import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerriteError } from '../../../src/common/errors.js';
import { sqlState, toFerriteError } from '../../../src/modules/files/db-errors.js';

describe('toFerriteError', () => {
  it('turns a statement timeout into QUERY_TIMEOUT, wherever the SQLSTATE sits', () => {
    const pgError = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    assert.equal(toFerriteError(pgError, 'searching files').code, 'QUERY_TIMEOUT');
    const prismaWrapped = Object.assign(new Error('raw query failed'), { code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '57014' } } } });
    assert.equal(sqlState(prismaWrapped), '57014');
    assert.equal(toFerriteError(prismaWrapped, 'x').code, 'QUERY_TIMEOUT');
  });

  it('wraps anything else as CATALOG_ERROR naming the operation, and lets FerriteErrors through', () => {
    const err = toFerriteError(Object.assign(new Error('duplicate key value'), { code: '23505' }), 'storing a file batch');
    assert.equal(err.code, 'CATALOG_ERROR');
    assert.match(err.message, /storing a file batch: duplicate key value/);
    assert.deepEqual(err.details, { sqlState: '23505', prismaCode: undefined });
    const own = new FerriteError('TAPE_NOT_FOUND', 'x');
    assert.equal(toFerriteError(own, 'y'), own);
  });
});
