// Pure translation of an agent's Register request into what the catalog stores: validated names,
// drives, changers with their slot layout, and one sighting per tape barcode (from the tape list,
// the slots and the drives together). No I/O here, so every rule is unit-tested.
import { DriveBackend as ProtoBackend, DriveState as ProtoDriveState, type DriveInfo, type RegisterRequest, type TapeInfo } from '@ferrite/proto';
import type { DriveBackend, DriveState } from '@ferrite/db';
import { generationFromBarcode, isCleaningBarcode, nativeCapacityBytes } from '../tapes/tape-generations.js';
import type { TapeSighting } from '../tapes/tapes.repository.js';
import { AgentErrors } from './agents.errors.js';

export interface DriveRegistration {
  name: string;
  serial: string;
  vendor: string;
  model: string;
  generation: number;
  backend: DriveBackend;
  state: DriveState;
  changerName: string | null;
  changerDriveIndex: number | null;
  loadedBarcode: string | null;
  /** Active TapeAlert flags (e.g. CLEAN_NOW). */
  alerts: string[];
}

export interface SlotLayout {
  slot: number;
  barcode: string | null;
  importExport: boolean;
}

export interface ChangerRegistration {
  name: string;
  serial: string;
  slotCount: number;
  slots: SlotLayout[];
}

export type { TapeSighting } from '../tapes/tapes.repository.js';

export interface Registration {
  agentName: string;
  hostname: string;
  version: string;
  allowedRestoreRoots: string[];
  /** The rest of the agent's policy; null from an agent too old to send it (no backup roots). */
  policy: { allowedBackupRoots: string[]; allowFormat: boolean; allowForceFormat: boolean } | null;
  drives: DriveRegistration[];
  changers: ChangerRegistration[];
  tapes: TapeSighting[];
}

// Agent names are typed by operators in GraphQL arguments: keep them plain. Drive and changer names
// come from hardware configuration and may be anything printable.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what a device name must not hold
const DEVICE_NAME = /^[^\x00-\x1f\x7f]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseRegistration(req: RegisterRequest): Registration {
  if (!NAME.test(req.agentName)) {
    throw AgentErrors.invalidRegistration(`agent name ${JSON.stringify(req.agentName)} is not valid: use up to 64 letters, digits, '.', '_' or '-'`, {
      agentName: req.agentName,
    });
  }
  const changers = req.changers.map(parseChanger);
  assertUnique(
    changers.map((c) => c.name),
    'changer',
  );
  const drives = req.drives.map(parseDrive);
  assertUnique(
    drives.map((d) => d.name),
    'drive',
  );
  const changerNames = new Set(changers.map((c) => c.name));
  for (const d of drives) {
    if (d.changerName !== null && !changerNames.has(d.changerName)) {
      throw AgentErrors.invalidRegistration(`drive ${d.name} names changer ${d.changerName}, which the agent did not report`, { drive: d.name });
    }
  }
  return {
    agentName: req.agentName,
    hostname: req.hostname || req.agentName,
    version: req.version,
    allowedRestoreRoots: req.allowedRestoreRoots.map(parseRoot),
    policy:
      req.allowedBackupRoots.length > 0
        ? { allowedBackupRoots: req.allowedBackupRoots.map(parseRoot), allowFormat: req.allowFormat, allowForceFormat: req.allowForceFormat }
        : null,
    drives,
    changers,
    tapes: collectSightings(req.tapes, changers, drives),
  };
}

export function protoDriveState(state: ProtoDriveState, loaded: boolean): DriveState {
  switch (state) {
    case ProtoDriveState.DRIVE_STATE_EMPTY:
      return 'EMPTY';
    case ProtoDriveState.DRIVE_STATE_LOADED:
      return 'LOADED';
    case ProtoDriveState.DRIVE_STATE_MOUNTED:
      return 'MOUNTED';
    case ProtoDriveState.DRIVE_STATE_BUSY:
      return 'BUSY';
    case ProtoDriveState.DRIVE_STATE_NEEDS_CLEANING:
      return 'NEEDS_CLEANING';
    case ProtoDriveState.DRIVE_STATE_OFFLINE:
      return 'OFFLINE';
    default:
      return loaded ? 'LOADED' : 'EMPTY';
  }
}

function parseDrive(d: DriveInfo): DriveRegistration {
  if (!DEVICE_NAME.test(d.name)) throw AgentErrors.invalidRegistration(`drive name ${JSON.stringify(d.name)} is not valid`, { drive: d.name });
  const loadedBarcode = d.loadedBarcode.trim() || null;
  return {
    name: d.name,
    serial: d.serial,
    vendor: d.vendor,
    model: d.model,
    generation: d.generation,
    // An agent that does not say is an older build of the emulated backend, the only one without LTFS.
    backend: d.backend === ProtoBackend.DRIVE_BACKEND_LTFS ? 'LTFS' : 'EMULATED',
    state: protoDriveState(d.state, loadedBarcode !== null),
    changerName: d.changerName.trim() || null,
    changerDriveIndex: d.changerName.trim() ? d.changerDriveIndex : null,
    loadedBarcode,
    alerts: cleanAlerts(d.alerts ?? []),
  };
}

function parseChanger(c: RegisterRequest['changers'][number]): ChangerRegistration {
  if (!DEVICE_NAME.test(c.name)) throw AgentErrors.invalidRegistration(`changer name ${JSON.stringify(c.name)} is not valid`, { changer: c.name });
  const slots = [...c.slots].sort((a, b) => a.slot - b.slot).map((s) => ({ slot: s.slot, barcode: s.barcode.trim() || null, importExport: s.importExport }));
  assertUnique(
    slots.map((s) => String(s.slot)),
    `slot of changer ${c.name}`,
  );
  return { name: c.name, serial: c.serial, slotCount: Math.max(c.slotCount, slots.length), slots };
}

function parseRoot(root: string): string {
  if (!root.startsWith('/') || root.includes('\0') || root.split('/').includes('..')) {
    throw AgentErrors.invalidRegistration(`allowed restore root ${JSON.stringify(root)} must be an absolute path without '..'`, { root });
  }
  return root.length > 1 ? root.replace(/\/+$/, '') : root;
}

/** Alert names are short upper-case words; anything else from an agent is dropped, not stored. */
export function cleanAlerts(alerts: string[]): string[] {
  return [...new Set(alerts.map((a) => a.trim().toUpperCase()).filter((a) => /^[A-Z0-9_]{1,40}$/.test(a)))].sort();
}

function assertUnique(names: string[], what: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw AgentErrors.invalidRegistration(`the agent reported ${what} ${n} twice`, { name: n });
    seen.add(n);
  }
}

function collectSightings(tapes: TapeInfo[], changers: ChangerRegistration[], drives: DriveRegistration[]): TapeSighting[] {
  const byBarcode = new Map<string, TapeSighting>();
  const sighting = (barcode: string): TapeSighting => {
    let s = byBarcode.get(barcode);
    if (!s) {
      const generation = generationFromBarcode(barcode) ?? 0;
      s = {
        barcode,
        generation,
        capacityBytes: nativeCapacityBytes(generation) ?? 0,
        usedBytes: 0,
        writeProtected: false,
        volumeUuid: null,
        formatted: false,
        detailsKnown: false,
        alerts: [],
        worm: false,
        cleaning: isCleaningBarcode(barcode),
        changerName: null,
        slot: null,
        driveName: null,
      };
      byBarcode.set(barcode, s);
    }
    return s;
  };
  for (const t of tapes) {
    const barcode = t.barcode.trim();
    if (!barcode) continue;
    const s = sighting(barcode);
    const known = t.detailsKnown;
    if (t.generation > 0) s.generation = t.generation;
    if (t.worm) s.worm = true;
    if (t.cleaning) s.cleaning = true;
    if (t.capacityBytes > 0) s.capacityBytes = t.capacityBytes;
    else if (s.capacityBytes === 0) s.capacityBytes = nativeCapacityBytes(s.generation) ?? 0;
    if (known) {
      s.detailsKnown = true;
      s.writeProtected = t.writeProtected;
      s.usedBytes = t.usedBytes;
      s.formatted = t.formatted;
      s.volumeUuid = UUID.test(t.volumeUuid) ? t.volumeUuid.toLowerCase() : null;
      s.alerts = cleanAlerts(t.alerts ?? []);
    }
  }
  for (const c of changers) {
    for (const slot of c.slots) {
      if (!slot.barcode) continue;
      const s = sighting(slot.barcode);
      s.changerName = c.name;
      s.slot = slot.slot;
    }
  }
  const loadedIn = new Set<string>();
  for (const d of drives) {
    if (!d.loadedBarcode) continue;
    if (loadedIn.has(d.loadedBarcode)) {
      throw AgentErrors.invalidRegistration(`the agent reported tape ${d.loadedBarcode} in two drives`, { barcode: d.loadedBarcode });
    }
    loadedIn.add(d.loadedBarcode);
    const s = sighting(d.loadedBarcode);
    // A cartridge cannot be in a slot and a drive at once: the drive is where it is now.
    s.driveName = d.name;
    s.changerName = d.changerName;
    s.slot = null;
  }
  return [...byBarcode.values()].sort((a, b) => a.barcode.localeCompare(b.barcode));
}
