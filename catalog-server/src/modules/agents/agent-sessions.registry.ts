// Which agents hold an open Commands stream to this server process, and the stream to push their
// commands on. The newest session of an agent wins: attaching a new stream ends the older one.
// This is per process; with several server replicas a job for an agent connected elsewhere waits
// (a later issue routes commands between replicas, e.g. through PostgreSQL LISTEN/NOTIFY).
import { Injectable } from '@nestjs/common';
import type { CommandsResponse } from '@ferrite/proto';

/** The part of a grpc-js server stream the registry needs (a fake in tests). */
export interface CommandSink {
  write(message: CommandsResponse): boolean;
  end(): void;
}

interface Entry {
  sessionId: string;
  sink: CommandSink;
}

@Injectable()
export class AgentSessionsRegistry {
  private readonly entries = new Map<string, Entry>();

  attach(agentId: string, sessionId: string, sink: CommandSink): void {
    const previous = this.entries.get(agentId);
    this.entries.set(agentId, { sessionId, sink });
    if (previous && previous.sink !== sink) safeEnd(previous.sink);
  }

  /** Drops the stream if it is still the agent's current one (an older stream closing is a no-op). */
  detach(agentId: string, sink: CommandSink): boolean {
    const current = this.entries.get(agentId);
    if (!current || current.sink !== sink) return false;
    this.entries.delete(agentId);
    return true;
  }

  /** Ends and forgets an agent's stream (the agent went offline or registered a new session). */
  disconnect(agentId: string): void {
    const current = this.entries.get(agentId);
    if (!current) return;
    this.entries.delete(agentId);
    safeEnd(current.sink);
  }

  isConnected(agentId: string): boolean {
    return this.entries.has(agentId);
  }

  sessionOf(agentId: string): string | undefined {
    return this.entries.get(agentId)?.sessionId;
  }

  connectedAgentIds(): string[] {
    return [...this.entries.keys()];
  }

  /** Pushes a command; false when the agent has no open stream or the write failed. */
  send(agentId: string, message: CommandsResponse): boolean {
    const entry = this.entries.get(agentId);
    if (!entry) return false;
    try {
      entry.sink.write(message);
      return true;
    } catch {
      this.detach(agentId, entry.sink);
      return false;
    }
  }

  closeAll(): void {
    for (const [agentId] of this.entries) this.disconnect(agentId);
  }
}

function safeEnd(sink: CommandSink): void {
  try {
    sink.end();
  } catch {
    // already closed by the client
  }
}
