// What the server itself decides about jobs, each in one transaction with the job rows locked:
// an operator's cancel, interrupting the jobs of agents that went away, squaring the catalog with
// what an agent says it runs, resuming interrupted backups, and failing a job that can never run.
// The rules are the pure ones of job-transitions.ts and job-resume.ts; the rows are written by
// JobsRepository (job) and JobLogRepository (job_event), never here.
import { Injectable } from '@nestjs/common';
import type { JobStatus } from '@ferrite/db';
import { PrismaService } from '../../../database/prisma.service.js';
import { inTransaction, type Tx } from '../../../database/transaction.js';
import { CANCEL_REQUESTED, JobLogRepository } from './job-log.repository.js';
import { canResume, giveUpMessage, resumeMessage } from './job-resume.js';
import { ACTIVE_STATUSES, TERMINAL_STATUSES } from './job-transitions.js';
import { JobsRepository, type JobRow } from './jobs.repository.js';

export type CancelOutcome =
  { outcome: 'not-found' } | { outcome: 'finished'; job: JobRow } | { outcome: 'cancelled'; job: JobRow } | { outcome: 'requested'; job: JobRow };

/** A cancel is pending when an operator asked for it while an agent ran the job. */
export const cancelPending = (job: JobRow): boolean => job.events.length > 0;

@Injectable()
export class JobLifecycleService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly jobs: JobsRepository,
    private readonly log: JobLogRepository,
  ) {}

  /**
   * Cancels what can be cancelled at once (a queued job; an active one whose agent cannot be
   * told), and records a cancel request for an agent that can. Finished jobs are left untouched.
   */
  cancel(id: string, reason: string, canReachAgent: (agentId: string) => boolean): Promise<CancelOutcome> {
    return inTransaction(this.prisma, 'cancel job', async (tx): Promise<CancelOutcome> => {
      const job = await this.jobs.lock(tx, id);
      if (!job) return { outcome: 'not-found' };
      if (TERMINAL_STATUSES.includes(job.status)) return { outcome: 'finished', job };
      const active = ACTIVE_STATUSES.includes(job.status);
      if (active && job.agentId && canReachAgent(job.agentId)) {
        if (!cancelPending(job)) await this.log.appendServerLine(tx, id, job.attempt, CANCEL_REQUESTED, `cancel requested: ${reason}`, 'warn');
        return { outcome: 'requested', job: (await this.jobs.lock(tx, id))! };
      }
      const why = active ? `${reason} (the agent is not connected, so it was cancelled at once)` : reason;
      await this.log.appendServerLine(tx, id, job.attempt, 'CANCELLED', `cancelled: ${why}`, 'warn');
      const updated = await this.jobs.update(tx, id, {
        status: 'CANCELLED',
        finishedAt: new Date(),
        queueReason: null,
        leaseOwner: null,
        leaseExpiresAt: null,
      });
      return { outcome: 'cancelled', job: updated };
    });
  }

  /**
   * The agents went offline: their active jobs become INTERRUPTED (or CANCELLED when a cancel was
   * pending). Returns the ids of the jobs changed.
   */
  interruptJobsOfAgents(agentIds: string[], message: string): Promise<string[]> {
    if (agentIds.length === 0) return Promise.resolve([]);
    return inTransaction(this.prisma, 'interrupt jobs', async (tx) => {
      const ids = await this.jobs.lockActiveOfAgents(tx, agentIds);
      for (const id of ids) await this.endActiveJob(tx, id, message);
      return ids;
    });
  }

  /**
   * The backstop for jobs nobody settles: an ASSIGNED/RUNNING job whose lease ran out while its agent
   * is offline (e.g. a replica died between marking the agent offline and interrupting its jobs)
   * becomes INTERRUPTED, which frees its drive and tape. Jobs of online agents are left to the
   * heartbeat reconcile, which knows what the agent really runs: a slow beat on a loaded machine
   * must not kill a healthy job. Any replica may run this; rows being settled elsewhere are skipped.
   */
  interruptExpiredLeases(now: Date): Promise<string[]> {
    return inTransaction(this.prisma, 'interrupt expired leases', async (tx) => {
      const ids = await this.jobs.lockExpiredOfOfflineAgents(tx, now);
      for (const id of ids) await this.endActiveJob(tx, id, 'its lease expired while its agent was offline');
      return ids;
    });
  }

  /**
   * Squares the catalog with what an agent says it runs. Leases of the jobs it runs are renewed.
   * Jobs it should run but does not mention, and that have not changed since `staleBefore`:
   * ASSIGNED ones never reached it and are queued again; RUNNING ones were lost (the agent
   * restarted) and become INTERRUPTED.
   */
  reconcileAgentJobs(agentId: string, runningJobIds: string[], staleBefore: Date, leaseExpiresAt: Date): Promise<string[]> {
    return inTransaction(this.prisma, 'reconcile agent jobs', async (tx) => {
      await this.jobs.renewLeases(tx, agentId, runningJobIds, leaseExpiresAt);
      const lost = await this.jobs.lockUnlisted(tx, agentId, runningJobIds, staleBefore);
      for (const job of lost) {
        if (job.status !== 'ASSIGNED') {
          await this.endActiveJob(tx, job.id, 'the agent no longer runs this job (it restarted?)');
          continue;
        }
        const row = (await this.jobs.lock(tx, job.id))!;
        if (cancelPending(row)) {
          await this.endActiveJob(tx, job.id, 'the agent did not take the job');
          continue;
        }
        await this.log.appendServerLine(tx, job.id, row.attempt, 'REQUEUED', 'the agent did not take the job; queued again', 'warn');
        await this.jobs.requeue(tx, job.id, 'queued again: the agent did not take it');
      }
      return lost.map((j) => j.id);
    });
  }

  /**
   * The agent is back (a valid heartbeat that does not list them): its INTERRUPTED backups are
   * queued again as their next attempt, which resumes from the last confirmed checkpoint. Jobs the
   * agent still runs (a partition, not a crash) are left to its own reports. A job past its last
   * attempt gets one log line and stays INTERRUPTED (errorCode ATTEMPTS_EXHAUSTED). Returns the ids
   * of the jobs queued again.
   */
  resumeInterruptedBackups(agentId: string, runningJobIds: string[]): Promise<string[]> {
    return inTransaction(this.prisma, 'resume interrupted backups', async (tx) => {
      const resumed: string[] = [];
      for (const job of await this.jobs.lockResumableBackups(tx, agentId, runningJobIds)) {
        if (!canResume(job.attempt)) {
          await this.log.appendServerLine(tx, job.id, job.attempt, 'NOT_RESUMED', giveUpMessage(job.attempt), 'warn');
          await this.jobs.update(tx, job.id, { errorCode: 'ATTEMPTS_EXHAUSTED', errorMessage: giveUpMessage(job.attempt) });
          continue;
        }
        const next = job.attempt + 1;
        await this.log.appendServerLine(tx, job.id, next, 'RESUMED', resumeMessage(next, await this.jobs.lastCheckpoint(tx, job.id)));
        await this.jobs.update(tx, job.id, {
          status: 'QUEUED',
          attempt: next,
          driveId: null,
          leaseOwner: null,
          leaseExpiresAt: null,
          finishedAt: null,
          errorCode: null,
          errorMessage: null,
          queueReason: `resuming as attempt ${next}`,
        });
        resumed.push(job.id);
      }
      return resumed;
    });
  }

  /** Ends a QUEUED or ASSIGNED job that can never run (its stored spec is not valid): FAILED with
   *  the code and message, its drive and tapes free again. False when it was in another state. */
  failUnrunnable(jobId: string, code: string, message: string): Promise<boolean> {
    return inTransaction(this.prisma, 'fail an unrunnable job', async (tx) => {
      const job = await this.jobs.lock(tx, jobId);
      if (!job || (job.status !== 'QUEUED' && job.status !== 'ASSIGNED')) return false;
      await this.jobs.update(tx, jobId, {
        status: 'FAILED',
        driveId: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        queueReason: null,
        errorCode: code,
        errorMessage: message,
        finishedAt: new Date(),
      });
      await this.log.appendServerLine(tx, jobId, job.attempt, 'FAILED', `${code}: ${message}`, 'error');
      return true;
    });
  }

  /** An active job whose agent is gone: INTERRUPTED (AGENT_LOST), or CANCELLED when a cancel was pending. */
  private async endActiveJob(tx: Tx, id: string, message: string): Promise<void> {
    const job = (await this.jobs.lock(tx, id))!;
    const cancelled = cancelPending(job);
    const status: JobStatus = cancelled ? 'CANCELLED' : 'INTERRUPTED';
    await this.log.appendServerLine(tx, id, job.attempt, status, `${status.toLowerCase()}: ${message}`, 'warn');
    await this.jobs.update(tx, id, {
      status,
      finishedAt: cancelled ? new Date() : null,
      leaseOwner: null,
      leaseExpiresAt: null,
      errorCode: cancelled ? null : 'AGENT_LOST',
      errorMessage: cancelled ? null : message,
    });
  }
}
