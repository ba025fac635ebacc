// GraphQL operations the end-to-end tests use, written exactly as an operator would send them.
import { ClientError, type GraphQLClient } from 'graphql-request';
import { waitFor } from './stack.js';

export interface JobView {
  id: string;
  kind: string;
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
  progress: { bytesDone: number; bytesTotal: number; filesDone: number; filesTotal: number } | null;
}

const JOB_FIELDS = 'id kind status errorCode errorMessage progress { bytesDone bytesTotal filesDone filesTotal }';

export async function job(gql: GraphQLClient, id: string): Promise<JobView> {
  return (await gql.request<{ job: JobView }>(`query($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`, { id })).job;
}

export async function waitForJob(gql: GraphQLClient, id: string, timeoutMs = 120_000): Promise<JobView> {
  return waitFor(
    `job ${id} to finish`,
    async () => {
      const j = await job(gql, id);
      return ['SUCCEEDED', 'FAILED', 'CANCELLED', 'INTERRUPTED'].includes(j.status) ? j : undefined;
    },
    timeoutMs,
  );
}

/** Waits until the job has ended for good: SUCCEEDED, FAILED or CANCELLED. An INTERRUPTED job is
 *  waited through (its agent resumes it as its next attempt), unlike waitForJob. */
export async function waitForJobEnd(gql: GraphQLClient, id: string, timeoutMs = 300_000): Promise<JobView> {
  return waitFor(
    `job ${id} to end`,
    async () => {
      const j = await job(gql, id);
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(j.status) ? j : undefined;
    },
    timeoutMs,
    500,
  );
}

export async function formatTape(gql: GraphQLClient, barcode: string, force = false): Promise<string> {
  const r = await gql.request<{ formatTape: { id: string } }>(`mutation($b: String!, $f: Boolean) { formatTape(barcode: $b, force: $f) { id } }`, {
    b: barcode,
    f: force,
  });
  return r.formatTape.id;
}

export async function startBackup(gql: GraphQLClient, input: Record<string, unknown>): Promise<string> {
  const r = await gql.request<{ startBackup: { id: string } }>(`mutation($input: StartBackupInput!) { startBackup(input: $input) { id } }`, { input });
  return r.startBackup.id;
}

export async function startRestore(gql: GraphQLClient, input: Record<string, unknown>): Promise<string> {
  const r = await gql.request<{ startRestore: { id: string } }>(`mutation($input: StartRestoreInput!) { startRestore(input: $input) { id } }`, { input });
  return r.startRestore.id;
}

/** A backup run as the e2e tests read it from `runs`. */
export interface RunView {
  id: string;
  jobId: string;
  level: string;
  baseRunId: string | null;
  added: number;
  modified: number;
  deleted: number;
  unchanged: number;
}

export interface FileNode {
  id: string;
  path: string;
  name: string;
  type: string;
  size: number;
  mtimeNs: string;
  sha256: string | null;
  placements: Array<{ barcode: string; partition: string; startBlock: number; containerPath: string; copy: number }>;
  xattrs: Array<{ name: string; value: string; text: string | null }>;
  acl: { access: string[] | null; default: string[] | null } | null;
  linkCount: number;
  hardLinkTo: string | null;
  sparse: boolean;
  dataBytes: number | null;
  device: { major: number; minor: number } | null;
  uid: number | null;
  gid: number | null;
  owner: string | null;
  group: string | null;
}

export async function allFiles(gql: GraphQLClient, filter: Record<string, unknown>): Promise<FileNode[]> {
  const out: FileNode[] = [];
  let after: string | null = null;
  for (;;) {
    const r: { files: { edges: Array<{ node: FileNode }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await gql.request(
      `query($filter: FileFilter, $after: String) { files(filter: $filter, first: 500, after: $after) {
         edges { node { id path name type size mtimeNs sha256 placements { barcode partition startBlock containerPath copy } xattrs { name value text } acl { access default } linkCount hardLinkTo sparse dataBytes device { major minor } uid gid owner group } }
         pageInfo { hasNextPage endCursor } } }`,
      { filter, after },
    );
    out.push(...r.files.edges.map((e) => e.node));
    if (!r.files.pageInfo.hasNextPage) return out;
    after = r.files.pageInfo.endCursor;
  }
}

/** The stable error code of a GraphQL request that must fail. */
export async function errorCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ClientError) {
      const code = err.response.errors?.[0]?.extensions?.code;
      return typeof code === 'string' ? code : 'NO_CODE';
    }
    throw err;
  }
  throw new Error('expected the request to fail, but it succeeded');
}
