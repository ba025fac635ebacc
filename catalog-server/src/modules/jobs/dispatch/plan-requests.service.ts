// Backup plans asked of agents and waited for: a PlanBackup command goes out on the agent's Commands
// stream (through CommandRouter, so to whichever replica holds it) with a fresh request id, and the
// caller waits for the ReportPlan carrying that id. The waiter lives in this replica's memory only:
// a plan is an answer to one GraphQL call, nothing is stored. An answer that reaches another replica
// (the agent's unary calls went elsewhere) is relayed on the cluster bus; one nobody waits for any
// more (timed out) is dropped.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { PlanBackup, ReportPlanRequest } from '@ferrite/proto';
import { z } from 'zod';
import { LOGGER, type Logger } from '../../../common/logger.js';
import { CLUSTER_CHANNELS, ClusterBus } from '../../cluster/cluster-bus.js';
import { CommandRouter } from './command-router.js';

interface Waiter {
  agentId: string;
  /** null: given up (timed out, or this replica is stopping). */
  resolve: (answer: ReportPlanRequest | null) => void;
  timer: NodeJS.Timeout;
}

export type PlanOutcome = { answer: ReportPlanRequest } | { unreachable: true } | { timedOut: true };

/** A relayed answer: numbers, strings and the roots, all small (well under NOTIFY's 8,000 bytes). */
const relayedAnswer = z.object({
  agentId: z.string(),
  requestId: z.string(),
  answer: z.record(z.string(), z.unknown()),
});

@Injectable()
export class PlanRequestsService implements OnModuleInit, OnModuleDestroy {
  private readonly log: Logger;
  private readonly waiting = new Map<string, Waiter>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly router: CommandRouter,
    private readonly bus: ClusterBus,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'plan-requests' });
  }

  onModuleInit(): void {
    this.unsubscribe = this.bus.on(CLUSTER_CHANNELS.planAnswer, (payload) => {
      const relayed = relayedAnswer.safeParse(payload);
      if (!relayed.success) return this.log.warn({ problem: relayed.error.message }, 'ignored a relayed plan answer that is not valid');
      this.settle(relayed.data.agentId, relayed.data.answer as unknown as ReportPlanRequest);
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      this.waiting.delete(id);
      w.resolve(null);
    }
  }

  /**
   * Sends the plan command and waits up to `waitMs` for the answer. The agent gets `waitMs` minus a
   * little as its own deadline, so it gives up (and answers PLAN_TIMEOUT) before the caller does.
   */
  async ask(agentId: string, plan: Omit<PlanBackup, 'requestId' | 'deadlineMs'>, waitMs: number): Promise<PlanOutcome> {
    const requestId = randomUUID();
    const deadlineMs = Math.max(1000, waitMs - Math.min(5000, Math.floor(waitMs / 10)));
    const answer = new Promise<ReportPlanRequest | null>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(requestId);
        resolve(null);
      }, waitMs);
      this.waiting.set(requestId, { agentId, resolve, timer });
    });
    let sent = false;
    try {
      sent = await this.router.plan(agentId, { ...plan, requestId, deadlineMs });
    } finally {
      if (!sent) this.drop(requestId);
    }
    if (!sent) return { unreachable: true };
    const result = await answer;
    return result ? { answer: result } : { timedOut: true };
  }

  /** ReportPlan from an agent: true when a request here or on another replica may be waiting for it. */
  async receive(report: ReportPlanRequest): Promise<boolean> {
    if (this.settle(report.agentId, report)) return true;
    // Not asked here: another replica may be waiting (the agent's calls reach any replica).
    await this.bus.publish(CLUSTER_CHANNELS.planAnswer, { agentId: report.agentId, requestId: report.requestId, answer: { ...report } });
    return false;
  }

  /** Hands the answer to its waiter if it is here and the answer comes from the agent asked. */
  private settle(agentId: string, answer: ReportPlanRequest): boolean {
    const w = this.waiting.get(answer.requestId);
    if (!w || w.agentId !== agentId) return false;
    this.drop(answer.requestId);
    w.resolve(answer);
    return true;
  }

  private drop(requestId: string): void {
    const w = this.waiting.get(requestId);
    if (!w) return;
    clearTimeout(w.timer);
    this.waiting.delete(requestId);
  }
}
