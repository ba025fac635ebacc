// Where each agent's Commands stream is open, shared by all replicas: one row per agent naming the
// replica that holds the stream. Written when a stream opens or closes; read to decide whether an
// agent can be given work at all and whether a cancel can reach it.
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../../database/prisma.service.js';
import { dbOperation } from '../../../database/database-errors.js';

@Injectable()
export class CommandStreamsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The newest stream wins: an agent reconnecting to another replica moves the row there. */
  opened(agentId: string, sessionId: string, replicaId: string): Promise<void> {
    return dbOperation('record command stream', async () => {
      await this.prisma.client.$executeRaw`
        INSERT INTO agent_command_stream (agent_id, session_id, replica_id, opened_at)
        VALUES (${agentId}::uuid, ${sessionId}::uuid, ${replicaId}, now())
        ON CONFLICT (agent_id) DO UPDATE SET session_id = EXCLUDED.session_id, replica_id = EXCLUDED.replica_id, opened_at = now()`;
    });
  }

  /** Forgets the stream if this replica still holds it (a newer one elsewhere is left alone). */
  closed(agentId: string, sessionId: string, replicaId: string): Promise<void> {
    return dbOperation('forget command stream', async () => {
      await this.prisma.client.$executeRaw`
        DELETE FROM agent_command_stream WHERE agent_id = ${agentId}::uuid AND session_id = ${sessionId}::uuid AND replica_id = ${replicaId}`;
    });
  }

  /** A replica shutting down forgets all of its streams at once. */
  closedAll(replicaId: string): Promise<void> {
    return dbOperation('forget command streams', async () => {
      await this.prisma.client.$executeRaw`DELETE FROM agent_command_stream WHERE replica_id = ${replicaId}`;
    });
  }

  /** The replica holding the stream of an online agent, or null (no stream, or the agent is offline). */
  replicaOf(agentId: string): Promise<string | null> {
    return dbOperation('find command stream', async () => {
      const rows = await this.prisma.client.$queryRaw<{ replica_id: string }[]>`
        SELECT s.replica_id FROM agent_command_stream s JOIN agent a ON a.id = s.agent_id AND a.online AND a.session_id = s.session_id
        WHERE s.agent_id = ${agentId}::uuid`;
      return rows[0]?.replica_id ?? null;
    });
  }
}
