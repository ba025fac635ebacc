import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { FerriteError } from '../../../src/common/errors.js';
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
  assert.equal(grpcStatusFor('SOMETHING_ELSE'), status.FAILED_PRECONDITION);
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
});
