// Fan-out of job changes to `jobUpdated` subscribers on every replica. A change is announced on the
// cluster bus as a job id (PostgreSQL NOTIFY; the row itself may exceed the payload limit); each
// replica that has subscribers to that job re-reads the row and pushes it to them, so an update
// made on one replica reaches a client subscribed on another. Replicas without subscribers to the
// job do not read it.
import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { PubSub } from 'graphql-subscriptions';
import { CLUSTER_CHANNELS, ClusterBus } from '../../cluster/cluster-bus.js';
import { toJobModel } from './job.mapper.js';
import { JobsRepository } from './jobs.repository.js';
import type { JobModel } from './models/job.model.js';

@Injectable()
export class JobUpdatesPubSub implements OnModuleInit, OnModuleDestroy {
  private readonly local = new PubSub<Record<string, { jobUpdated: JobModel }>>();
  /** Open subscriptions per job id on this replica. */
  private readonly watchers = new Map<string, number>();
  private unsubscribe: (() => void) | null = null;
  /** Re-reads of one job run one after another, so subscribers never see an older row after a newer one. */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly bus: ClusterBus,
    private readonly jobs: JobsRepository,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.bus.on(CLUSTER_CHANNELS.jobUpdated, (p) => this.receive(String(p.jobId)));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Announces that the job changed (after the change is committed). */
  publish(job: Pick<JobModel, 'id'>): Promise<void> {
    return this.bus.publish(CLUSTER_CHANNELS.jobUpdated, { jobId: job.id });
  }

  subscribe(jobId: string): AsyncIterableIterator<{ jobUpdated: JobModel }> {
    this.watchers.set(jobId, (this.watchers.get(jobId) ?? 0) + 1);
    const inner = this.local.asyncIterableIterator(`job:${jobId}`) as AsyncIterableIterator<{ jobUpdated: JobModel }>;
    let open = true;
    const release = () => {
      if (!open) return;
      open = false;
      const n = (this.watchers.get(jobId) ?? 1) - 1;
      if (n > 0) this.watchers.set(jobId, n);
      else this.watchers.delete(jobId);
    };
    return {
      next: () => inner.next(),
      return: (value?: unknown) => {
        release();
        return inner.return ? inner.return(value) : Promise.resolve({ done: true, value: undefined });
      },
      throw: (err?: unknown) => {
        release();
        return inner.throw ? inner.throw(err) : Promise.reject(err instanceof Error ? err : new Error(String(err)));
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** How many subscriptions this replica holds for the job (tests, diagnostics). */
  watching(jobId: string): number {
    return this.watchers.get(jobId) ?? 0;
  }

  private receive(jobId: string): Promise<void> {
    if (!this.watchers.has(jobId)) return Promise.resolve();
    const next = (this.chains.get(jobId) ?? Promise.resolve()).then(async () => {
      const row = await this.jobs.findById(jobId);
      if (row) await this.local.publish(`job:${jobId}`, { jobUpdated: toJobModel(row) });
    });
    const settled = next.catch(() => {});
    this.chains.set(jobId, settled);
    void settled.then(() => {
      if (this.chains.get(jobId) === settled) this.chains.delete(jobId);
    });
    return next;
  }
}
