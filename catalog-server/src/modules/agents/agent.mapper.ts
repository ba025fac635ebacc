// Catalog rows -> GraphQL models for agents, drives and changers.
import type { AgentRow, ChangerRow, DriveRow } from './agents.repository.js';
import type { AgentModel } from './models/agent.model.js';
import type { ChangerModel } from './models/changer.model.js';
import { DriveBackendValue, DriveStateValue } from './models/drive-enums.js';
import type { DriveModel } from './models/drive.model.js';

export function toAgentModel(row: AgentRow): AgentModel {
  return {
    id: row.id,
    name: row.name,
    hostname: row.hostname,
    version: row.version,
    online: row.online,
    lastSeenAt: row.lastSeenAt,
    registeredAt: row.registeredAt,
    allowedRestoreRoots: row.allowedRestoreRoots,
    allowedBackupRoots: row.allowedBackupRoots,
    allowFormat: row.allowFormat,
    allowForceFormat: row.allowForceFormat,
  };
}

export function toDriveModel(row: DriveRow): DriveModel {
  return {
    id: row.id,
    name: row.name,
    serial: row.serial,
    vendor: row.vendor,
    model: row.model,
    generation: row.generation,
    backend: DriveBackendValue[row.backend],
    state: DriveStateValue[row.state],
    changerDriveIndex: row.changerDriveIndex,
    alerts: row.alerts ?? [],
    agentId: row.agentId,
    changerId: row.changerId,
    loadedTapeId: row.loadedTapeId,
  };
}

export function toChangerModel(row: ChangerRow): ChangerModel {
  return { id: row.id, name: row.name, serial: row.serial, slotCount: row.slotCount, agentId: row.agentId };
}
