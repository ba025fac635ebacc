// A stand-in for the server's side of the reporting calls, recording what a job reports. Used to
// drive job handlers directly (the real gRPC path is covered by the end-to-end tests).
import type { FileRecord, ReportFilesRequest, ReportJobEventRequest, RestoreItem } from '@ferrite/proto';
import type { ServerClient } from '../../src/session/server-client.js';
import type { AgentConfig } from '../../src/config/agent-config.js';
import type { TapeDrive, TapeLibrary } from '../../src/drives/drive.js';
import { JobReporter } from '../../src/jobs/job-reporter.js';
import type { JobContext } from '../../src/jobs/job-context.js';
import type { Logger } from '../../src/logger.js';

export class RecordingServer {
  events: ReportJobEventRequest[] = [];
  batches: ReportFilesRequest[] = [];

  asClient(): ServerClient {
    return {
      reportJobEvent: async (req: ReportJobEventRequest) => {
        this.events.push(req);
        return { accepted: true, cancelRequested: false };
      },
      reportFiles: async (req: ReportFilesRequest) => {
        this.batches.push(req);
        return { accepted: true, stored: req.files.length };
      },
    } as unknown as ServerClient;
  }

  files(): FileRecord[] {
    return this.batches.flatMap((b) => b.files);
  }
}

/** A job context for attempt 1 of `jobId` whose reports land in `server`. */
export function recordingJobContext(
  server: RecordingServer,
  parts: { jobId: string; drive: TapeDrive; library: TapeLibrary | null; config: AgentConfig; log: Logger; copies?: JobContext['copies'] },
): JobContext {
  const { jobId } = parts;
  return {
    ...parts,
    attempt: 1,
    agentName: parts.config.name,
    reporter: new JobReporter(server.asClient(), { agentId: () => 'a1', jobId, attempt: 1 }, 10, parts.log),
    signal: new AbortController().signal,
  };
}

/** The restore item the server would build from a reported record, reading copy `copy`. */
export function restoreItemOf(r: FileRecord, copy = 1): RestoreItem {
  return {
    path: r.path,
    type: r.type,
    size: r.size,
    mtimeMs: r.mtimeMs,
    mtimeNanos: r.mtimeNanos ?? 0,
    mode: r.mode,
    sha256: r.sha256,
    symlinkTarget: r.symlinkTarget,
    location: r.locations.find((l) => (l.copy || 1) === copy),
    alternates: [],
    xattrs: r.xattrs,
    linkCount: r.linkCount,
    hardLinkTo: r.hardLinkTo,
    rdevMajor: r.rdevMajor,
    rdevMinor: r.rdevMinor,
    uid: r.uid,
    gid: r.gid,
    owner: r.owner,
    group: r.group,
  };
}
