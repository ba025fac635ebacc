import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata, status } from '@grpc/grpc-js';
import { serverRefusal } from '../../../src/session/server-client.js';

function grpcError(code: string | null, details: string) {
  const metadata = new Metadata();
  if (code) metadata.set('ferrite-code', code);
  return Object.assign(new Error(`${status.FAILED_PRECONDITION} FAILED_PRECONDITION: ${details}`), { code: status.FAILED_PRECONDITION, details, metadata });
}

test('a refusal from the catalog server keeps its code and its words', () => {
  assert.deepEqual(serverRefusal(grpcError('LABEL_MISMATCH', 'LABEL_MISMATCH: the tape read is labelled A, but job j rebuilds B')), {
    code: 'LABEL_MISMATCH',
    message: 'the catalog server refused: the tape read is labelled A, but job j rebuilds B',
  });
  assert.deepEqual(serverRefusal(grpcError('INVALID_RECORD', 'no prefix here')), {
    code: 'INVALID_RECORD',
    message: 'the catalog server refused: no prefix here',
  });
});

test('anything else is not a refusal', () => {
  assert.equal(serverRefusal(grpcError(null, 'connection reset')), null);
  assert.equal(serverRefusal(grpcError('INTERNAL_ERROR', 'INTERNAL_ERROR: internal error in the catalog server')), null);
  assert.equal(serverRefusal(new Error('plain')), null);
  assert.equal(serverRefusal(undefined), null);
});
