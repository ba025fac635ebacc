// Fan-out of job changes to `jobUpdated` subscribers. In-process for now: with several server
// replicas a subscriber only hears about jobs whose events reach its replica; a later issue swaps
// this for a shared bus (PostgreSQL LISTEN/NOTIFY or Redis) behind the same two methods.
import { Injectable } from '@nestjs/common';
import { PubSub } from 'graphql-subscriptions';
import type { JobModel } from './models/job.model.js';

@Injectable()
export class JobUpdatesPubSub {
  private readonly pubsub = new PubSub<Record<string, { jobUpdated: JobModel }>>();

  publish(job: JobModel): Promise<void> {
    return this.pubsub.publish(`job:${job.id}`, { jobUpdated: job });
  }

  subscribe(jobId: string): AsyncIterableIterator<{ jobUpdated: JobModel }> {
    return this.pubsub.asyncIterableIterator(`job:${jobId}`);
  }
}
