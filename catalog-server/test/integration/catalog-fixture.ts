// Shared setup for the agents/jobs repository tests: a fresh migrated database, repositories wired
// by hand, and builders for the agent inventory and job rows the tests start from.
import { DriveBackend, DriveState, RegisterRequest, type DeepPartial } from '@ferrite/proto';
import type { JobKind, JobStatus } from '@ferrite/db';
import { loadServerConfig } from '../../src/config/config.js';
import { PrismaService } from '../../src/database/prisma.service.js';
import { AgentsRepository } from '../../src/modules/agents/agents.repository.js';
import { parseRegistration } from '../../src/modules/agents/registration.js';
import { DispatchRepository } from '../../src/modules/jobs/dispatch/dispatch.repository.js';
import { AssignmentService } from '../../src/modules/jobs/dispatch/assignment.service.js';
import { JobLifecycleService } from '../../src/modules/jobs/lifecycle/job-lifecycle.service.js';
import { JobLogRepository } from '../../src/modules/jobs/lifecycle/job-log.repository.js';
import { JobReportRecorder } from '../../src/modules/jobs/events/job-report-recorder.js';
import { JobsRepository } from '../../src/modules/jobs/lifecycle/jobs.repository.js';
import { TapesRepository } from '../../src/modules/tapes/tapes.repository.js';
import { FilesRepository } from '../../src/modules/files/files.repository.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

export interface CatalogFixture {
  db: TestDatabase;
  prisma: PrismaService;
  agents: AgentsRepository;
  jobs: JobsRepository;
  jobLog: JobLogRepository;
  lifecycle: JobLifecycleService;
  events: JobReportRecorder;
  dispatch: DispatchRepository;
  assignment: AssignmentService;
  /** Registers (or re-registers) an agent; returns its id. */
  register(req: RegisterRequest, sessionId?: string): Promise<string>;
  job(agentId: string, kind: JobKind, status: JobStatus, spec?: object): Promise<string>;
  close(): Promise<void>;
}

export async function createCatalogFixture(label: string): Promise<CatalogFixture> {
  const db = await createTestDatabase(label);
  const prisma = new PrismaService(db.url, loadServerConfig({}));
  const tapes = new TapesRepository(prisma);
  const agents = new AgentsRepository(prisma, tapes);
  const jobs = new JobsRepository(prisma);
  const jobLog = new JobLogRepository(prisma);
  const dispatch = new DispatchRepository(prisma);
  return {
    db,
    prisma,
    agents,
    jobs,
    jobLog,
    lifecycle: new JobLifecycleService(prisma, jobs, jobLog),
    events: new JobReportRecorder(prisma, jobs, jobLog, tapes, new FilesRepository(prisma)),
    dispatch,
    assignment: new AssignmentService(prisma, dispatch, jobs, jobLog, tapes, loadServerConfig({})),
    register: (req, sessionId = crypto.randomUUID()) => agents.register(parseRegistration(req), sessionId, new Date()),
    async job(agentId, kind, status, spec = { barcode: 'FER001L9', force: false, pool: null }) {
      const row = await prisma.client.job.create({ data: { kind, status, agentId, spec } });
      return row.id;
    },
    async close() {
      await prisma.onModuleDestroy();
      await db.drop();
    },
  };
}

/** An agent with one changer of `slots` slots holding `barcodes` in order, and `drives` empty drives. */
export function libraryRequest(
  name: string,
  barcodes: string[],
  options: { drives?: number; slots?: number; loaded?: Record<string, string>; tapes?: DeepPartial<RegisterRequest>['tapes'] } = {},
): RegisterRequest {
  const drives = options.drives ?? 2;
  const slots = options.slots ?? Math.max(barcodes.length, 4);
  return RegisterRequest.fromPartial<DeepPartial<RegisterRequest>>({
    agentName: name,
    hostname: `${name}.example`,
    version: 'test',
    allowedRestoreRoots: ['/restore'],
    changers: [
      {
        name: 'lib0',
        serial: 'LIB0',
        slotCount: slots,
        slots: Array.from({ length: slots }, (_, i) => ({ slot: i + 1, barcode: barcodes[i] ?? '', importExport: i === slots - 1 })),
      },
    ],
    drives: Array.from({ length: drives }, (_, i) => {
      const loaded = options.loaded?.[`drive${i}`] ?? '';
      return {
        name: `drive${i}`,
        serial: `SER${i}`,
        vendor: 'EMU',
        model: 'ULT3580-TD9',
        generation: 9,
        backend: DriveBackend.DRIVE_BACKEND_EMULATED,
        state: loaded ? DriveState.DRIVE_STATE_LOADED : DriveState.DRIVE_STATE_EMPTY,
        loadedBarcode: loaded,
        changerName: 'lib0',
        changerDriveIndex: i,
      };
    }),
    tapes: options.tapes ?? [],
  });
}
