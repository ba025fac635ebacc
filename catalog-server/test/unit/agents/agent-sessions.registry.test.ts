import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandsResponse } from '@ferrite/proto';
import { AgentSessionsRegistry, type CommandSink } from '../../../src/modules/agents/agent-sessions.registry.js';

class FakeSink implements CommandSink {
  written: CommandsResponse[] = [];
  ended = false;
  write(m: CommandsResponse) {
    if (this.ended) throw new Error('write after end');
    this.written.push(m);
    return true;
  }
  end() {
    this.ended = true;
  }
}

const cancel = (jobId: string): CommandsResponse => ({ cancelJob: { jobId, reason: 'x' } });

test('the newest session wins and the older stream is ended', () => {
  const r = new AgentSessionsRegistry();
  const old = new FakeSink();
  const fresh = new FakeSink();
  r.attach('a', 's1', old);
  r.attach('a', 's2', fresh);
  assert.equal(old.ended, true);
  assert.equal(r.sessionOf('a'), 's2');
  assert.equal(r.send('a', cancel('j')), true);
  assert.equal(fresh.written.length, 1);
  assert.equal(old.written.length, 0);
  // The old stream closing later must not drop the new one.
  assert.equal(r.detach('a', old), false);
  assert.equal(r.isConnected('a'), true);
  assert.equal(r.detach('a', fresh), true);
  assert.equal(r.isConnected('a'), false);
  assert.equal(r.send('a', cancel('j')), false);
});

test('a failing write drops the stream; closeAll ends every stream', () => {
  const r = new AgentSessionsRegistry();
  const broken = new FakeSink();
  broken.ended = true;
  r.attach('a', 's', broken);
  assert.equal(r.send('a', cancel('j')), false);
  assert.equal(r.isConnected('a'), false);
  const b = new FakeSink();
  r.attach('b', 's', b);
  r.closeAll();
  assert.equal(b.ended, true);
  assert.deepEqual(r.connectedAgentIds(), []);
});
