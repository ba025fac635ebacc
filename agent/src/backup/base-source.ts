// Opens the IncrementalBase stream for one backup root (the base run's live entries, in (directory,
// name) byte order, page by page), the VerifyItems stream of one tape of a verify and the
// RestoreItems stream of one tape of a restore. grpc-js
// streams are async iterables and pause the server (HTTP/2 flow control) while the agent is busy
// with a page.
import { Metadata } from '@grpc/grpc-js';
import type { AgentServiceClient, IncrementalBaseResponse, RestoreItemsResponse, VerifyItemsResponse } from '@ferrite/proto';

/** A function a job gets to read the base of one of its roots. */
export type BaseSource = (root: string) => AsyncIterable<IncrementalBaseResponse>;

export function grpcBaseSource(client: AgentServiceClient, agentId: () => string, jobId: string): BaseSource {
  return (root) => client.incrementalBase({ agentId: agentId(), jobId, root }, new Metadata()) as AsyncIterable<IncrementalBaseResponse>;
}

/** A function a verify job gets to read the objects of one of its tapes, page by page. */
export type VerifyItemsSource = (barcode: string) => AsyncIterable<VerifyItemsResponse>;

export function grpcVerifyItemsSource(client: AgentServiceClient, agentId: () => string, jobId: string, attempt: number): VerifyItemsSource {
  return (barcode) => client.verifyItems({ agentId: agentId(), jobId, attempt, barcode }, new Metadata()) as AsyncIterable<VerifyItemsResponse>;
}

/** A function a restore gets to read the entries of one of its tapes ('' for those that need none), page by page. */
export type RestoreItemsSource = (barcode: string) => AsyncIterable<RestoreItemsResponse>;

export function grpcRestoreItemsSource(client: AgentServiceClient, agentId: () => string, jobId: string, attempt: number): RestoreItemsSource {
  return (barcode) => client.restoreItems({ agentId: agentId(), jobId, attempt, barcode }, new Metadata()) as AsyncIterable<RestoreItemsResponse>;
}
