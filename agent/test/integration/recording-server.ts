// A stand-in for the server's side of the reporting calls, recording what a job reports. Used to
// drive job handlers directly (the real gRPC path is covered by the end-to-end tests).
import type { FileRecord, ReportFilesRequest, ReportJobEventRequest } from '@ferrite/proto';
import type { ServerClient } from '../../src/session/server-client.js';

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
