// The server's Prometheus registry and the metrics measured where things happen (latencies and rates:
// GraphQL requests, ingest batches). Everything the catalog already knows (jobs, tapes, agents,
// bytes moved) is read from it at scrape time instead (metrics.service.ts). One registry per server
// instance, not prom-client's global one, so several in-process servers (tests, replicas) never collide.
import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Seconds: from a quick catalog read to a search that runs into the statement timeout. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export type IngestOutcome = 'stored' | 'duplicate' | 'refused';

@Injectable()
export class ServerMetrics {
  readonly registry = new Registry();

  readonly graphqlDuration = new Histogram({
    name: 'ferrite_graphql_request_duration_seconds',
    help: 'GraphQL requests over HTTP, by operation type, root field (e.g. files for a search) and outcome',
    labelNames: ['operation', 'field', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly ingestDuration = new Histogram({
    name: 'ferrite_ingest_batch_duration_seconds',
    help: "Time to store one batch of an agent's file records in the catalog, by outcome",
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly ingestRecords = new Counter({
    name: 'ferrite_ingest_records_total',
    help: 'File records stored in the catalog from agent reports',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Times one ingest of `records` file records; a duplicate batch stores nothing. */
  async timeIngest<T extends { accepted: boolean; stored: number }>(ingest: () => Promise<T>): Promise<T> {
    const end = this.ingestDuration.startTimer();
    try {
      const result = await ingest();
      end({ outcome: result.accepted ? 'stored' : 'duplicate' });
      this.ingestRecords.inc(result.stored);
      return result;
    } catch (err) {
      end({ outcome: 'refused' });
      throw err;
    }
  }
}
