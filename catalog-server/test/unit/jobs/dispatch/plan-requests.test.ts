// PlanRequestsService with a fake router and bus: an answer is matched to its request and to the
// agent asked, a request with nowhere to go or no answer in time says so, and an answer for a request
// this replica does not hold is relayed on the bus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlanBackup, ReportPlanRequest } from '@ferrite/proto';
import { PlanRequestsService } from '../../../../src/modules/jobs/dispatch/plan-requests.service.js';
import type { CommandRouter } from '../../../../src/modules/jobs/dispatch/command-router.js';
import type { ClusterBus } from '../../../../src/modules/cluster/cluster-bus.js';
import type { Logger } from '../../../../src/common/logger.js';

const silent = { child: () => silent, info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;

function setup(reachable = true) {
  const sent: Array<{ agentId: string; plan: PlanBackup }> = [];
  const published: Array<Record<string, unknown>> = [];
  const router = {
    plan: async (agentId: string, plan: PlanBackup) => {
      if (reachable) sent.push({ agentId, plan });
      return reachable;
    },
  } as unknown as CommandRouter;
  const bus = { on: () => () => {}, publish: async (_c: string, p: Record<string, unknown>) => void published.push(p) } as unknown as ClusterBus;
  const service = new PlanRequestsService(router, bus, silent);
  return { service, sent, published };
}

const report = (agentId: string, requestId: string): ReportPlanRequest =>
  ({ agentId, requestId, errorCode: '', errorMessage: '', files: 7, roots: [] }) as unknown as ReportPlanRequest;
const plan = { paths: ['/data'], excludes: [], level: 1, compareContent: false, pool: '' };

test('the answer of the agent asked settles its request; the agent gets a deadline shorter than the wait', async () => {
  const { service, sent } = setup();
  const pending = service.ask('agent-1', plan, 20_000);
  await new Promise((r) => setImmediate(r));
  assert.equal(sent.length, 1);
  assert.equal(sent[0].plan.deadlineMs, 18_000);
  const requestId = sent[0].plan.requestId;
  // Another agent cannot answer for it.
  assert.equal(await service.receive(report('agent-2', requestId)), false);
  assert.equal(await service.receive(report('agent-1', requestId)), true);
  const outcome = await pending;
  assert.ok('answer' in outcome);
  assert.equal(outcome.answer.files, 7);
  // A second copy of the answer finds nobody waiting.
  assert.equal(await service.receive(report('agent-1', requestId)), false);
});

test('no stream anywhere: unreachable; no answer in time: timed out; a late answer is relayed, not kept', async () => {
  const offline = setup(false);
  assert.deepEqual(await offline.service.ask('agent-1', plan, 1000), { unreachable: true });
  const slow = setup();
  assert.deepEqual(await slow.service.ask('agent-1', plan, 1000), { timedOut: true });
  assert.equal(await slow.service.receive(report('agent-1', slow.sent[0].plan.requestId)), false);
  assert.equal(slow.published.length, 1);
  assert.equal(slow.published[0].requestId, slow.sent[0].plan.requestId);
});
