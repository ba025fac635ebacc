// A job's whole log as JSON lines (one event per line, in arrival order, every attempt, progress
// included): what an operator attaches to a ticket or feeds to jq. Read in pages so a log of
// millions of lines streams without being held in memory.
import type { JobEventRow } from '../lifecycle/job-log.repository.js';

const PAGE = 5000;

export interface JobLogSource {
  eventsAfter(jobId: string, afterId: bigint, limit: number): Promise<JobEventRow[]>;
}

/** One log line: stable keys, ISO time, the agent's sequence number (server lines are negative). */
export function toJsonLine(row: JobEventRow): string {
  const seq = Number(row.seq);
  return JSON.stringify({
    at: row.at.toISOString(),
    attempt: row.attempt,
    seq,
    source: seq < 0 ? 'SERVER' : 'AGENT',
    type: row.type,
    level: row.level,
    message: row.message,
    ...(row.data !== null && row.data !== undefined ? { data: row.data } : {}),
  });
}

/** The log's lines, each ending in a newline. */
export async function* jobLogLines(source: JobLogSource, jobId: string): AsyncGenerator<string> {
  let after = 0n;
  for (;;) {
    const rows = await source.eventsAfter(jobId, after, PAGE);
    for (const row of rows) yield `${toJsonLine(row)}\n`;
    if (rows.length < PAGE) return;
    after = rows.at(-1)!.id;
  }
}
