import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { FerriteError } from '../../../src/common/errors.js';
import { ERROR_CODES } from '../../../src/common/error-codes.js';
import { translateDatabaseError } from '../../../src/database/database-errors.js';
import { createGraphQLErrorFormatter } from '../../../src/graphql/graphql-error.formatter.js';
import { grpcStatusFor, toGrpcError } from '../../../src/modules/agent-gateway/grpc-status.mapper.js';

test('FerriteError codes map to gRPC statuses', () => {
  assert.equal(grpcStatusFor('JOB_NOT_FOUND'), status.NOT_FOUND);
  assert.equal(grpcStatusFor('AGENT_NOT_FOUND'), status.NOT_FOUND);
  assert.equal(grpcStatusFor('JOB_NOT_OWNED'), status.PERMISSION_DENIED);
  assert.equal(grpcStatusFor('INVALID_REGISTRATION'), status.INVALID_ARGUMENT);
  assert.equal(grpcStatusFor('INVALID_EVENT'), status.INVALID_ARGUMENT);
  assert.equal(grpcStatusFor('SESSION_INVALID'), status.FAILED_PRECONDITION);
  assert.equal(grpcStatusFor('STALE_ATTEMPT'), status.FAILED_PRECONDITION);
  assert.equal(grpcStatusFor('TAPE_BUSY'), status.FAILED_PRECONDITION);
  assert.equal(grpcStatusFor('CATALOG_ERROR'), status.UNAVAILABLE);
  assert.equal(grpcStatusFor('QUERY_TIMEOUT'), status.DEADLINE_EXCEEDED);
});

test('every error code has a gRPC status, and only the statuses the agent knows how to treat', () => {
  const known = new Set([
    status.NOT_FOUND,
    status.INVALID_ARGUMENT,
    status.PERMISSION_DENIED,
    // A call without a valid client certificate, or a revoked one: the agent gives up (PERMANENT).
    status.UNAUTHENTICATED,
    status.FAILED_PRECONDITION,
    status.UNAVAILABLE,
    status.DEADLINE_EXCEEDED,
  ]);
  assert.ok(ERROR_CODES.length >= 80);
  for (const code of ERROR_CODES) assert.ok(known.has(grpcStatusFor(code)), `${code} -> ${grpcStatusFor(code)}`);
  // The suffix conventions hold for every code (the table is explicit, the names still tell).
  for (const code of ERROR_CODES.filter((c) => c.endsWith('_NOT_FOUND'))) assert.equal(grpcStatusFor(code), status.NOT_FOUND, code);
  for (const code of ERROR_CODES.filter((c) => c.startsWith('INVALID_'))) assert.equal(grpcStatusFor(code), status.INVALID_ARGUMENT, code);
});

test('gRPC errors carry the code in a trailer; unexpected errors are INTERNAL and logged', () => {
  const logged: unknown[] = [];
  const e = toGrpcError(new FerriteError('JOB_NOT_OWNED', 'not yours'), (x) => logged.push(x));
  assert.equal(e.code, status.PERMISSION_DENIED);
  assert.deepEqual(e.metadata?.get('ferrite-code'), ['JOB_NOT_OWNED']);
  assert.match(e.details!, /not yours/);
  assert.equal(logged.length, 0);
  assert.deepEqual(e.metadata?.get('ferrite-action'), [], 'nothing for the agent to do but give up');
  // A session the server does not know: the agent is told to register again.
  const s = toGrpcError(new FerriteError('SESSION_INVALID', 'register again'), (x) => logged.push(x));
  assert.deepEqual(s.metadata?.get('ferrite-action'), ['register']);
  const i = toGrpcError(new TypeError('secret internals'), (x) => logged.push(x));
  assert.equal(i.code, status.INTERNAL);
  assert.doesNotMatch(i.details!, /secret/);
  assert.equal(logged.length, 1);
});

test('GraphQL: FerriteError -> extensions.code; request errors kept; internals hidden', () => {
  const lines: string[] = [];
  const logger = pino({ level: 'error' }, { write: (l: string) => void lines.push(l) });
  const format = createGraphQLErrorFormatter(logger);
  const wrap = (original: Error) => new GraphQLError(original.message, { originalError: original, path: ['x'] });

  const f = format({ message: 'ignored', path: ['x'] }, wrap(new FerriteError('TAPE_NOT_FOUND', 'no tape X', { barcode: 'X' })));
  assert.equal(f.message, 'no tape X');
  assert.deepEqual(f.extensions, { code: 'TAPE_NOT_FOUND', details: { barcode: 'X' } });

  const v = { message: 'Cannot query field "nope"', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
  assert.equal(format(v, new GraphQLError(v.message)), v);

  const i = format({ message: 'connection refused to 10.0.0.3', path: ['x'] }, wrap(new Error('connection refused to 10.0.0.3')));
  assert.equal(i.extensions?.code, 'INTERNAL_ERROR');
  assert.doesNotMatch(i.message, /10\.0\.0\.3/);
  assert.equal(lines.length, 1);

  // A database failure: its code and operation reach the client, the database's words only the log.
  const db = format(
    { message: 'x', path: ['x'] },
    wrap(translateDatabaseError(Object.assign(new Error('relation "secret" does not exist'), { code: '42P01' }), 'listing tapes')),
  );
  assert.equal(db.extensions?.code, 'CATALOG_ERROR');
  assert.doesNotMatch(db.message, /secret/);
  assert.equal(lines.length, 2);
  assert.match(lines[1], /relation \\"secret\\" does not exist/);
});
