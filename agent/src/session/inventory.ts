// What the agent tells the server about its hardware when it registers: drives with their state,
// changers with their slots, and every cartridge it can see.
import { DriveBackend, DriveState, type ChangerInfo, type DriveInfo, type TapeInfo } from '@ferrite/proto';
import { CLEANING_ALERTS } from '../drives/drive.js';
import type { DriveSet } from '../drives/drive-set.js';
import { generationFromBarcode, isCleaningBarcode, isWormBarcode } from '../drives/generations.js';

export interface Inventory {
  drives: DriveInfo[];
  changers: ChangerInfo[];
  tapes: TapeInfo[];
}

export async function takeInventory(set: DriveSet, busyDrives: Set<string>): Promise<Inventory> {
  const tapes = new Map<string, TapeInfo>();
  const drives: DriveInfo[] = [];
  for (const { drive, library } of set.all()) {
    const id = drive.identity;
    const loaded = await drive.loaded().catch(() => null);
    const alerts = drive.alerts ? await drive.alerts().catch(() => []) : [];
    if (loaded) {
      tapes.set(loaded.barcode, {
        barcode: loaded.barcode,
        generation: loaded.generation,
        capacityBytes: loaded.capacityBytes,
        usedBytes: loaded.usedBytes,
        writeProtected: loaded.writeProtected,
        volumeUuid: loaded.volumeUuid ?? '',
        formatted: loaded.formatted,
        // A backend that only knows the barcode says so; the catalog then keeps what it knew.
        detailsKnown: loaded.detailsKnown ?? true,
        alerts,
        worm: loaded.worm ?? isWormBarcode(loaded.barcode),
        cleaning: loaded.cleaning ?? isCleaningBarcode(loaded.barcode),
      });
    }
    const needsCleaning = alerts.some((a) => CLEANING_ALERTS.includes(a));
    drives.push({
      name: id.name,
      serial: id.serial,
      vendor: id.vendor,
      model: id.model,
      generation: id.generation,
      backend: id.backend === 'ltfs' ? DriveBackend.DRIVE_BACKEND_LTFS : DriveBackend.DRIVE_BACKEND_EMULATED,
      state: busyDrives.has(id.name)
        ? DriveState.DRIVE_STATE_BUSY
        : needsCleaning
          ? DriveState.DRIVE_STATE_NEEDS_CLEANING
          : loaded
            ? DriveState.DRIVE_STATE_LOADED
            : DriveState.DRIVE_STATE_EMPTY,
      loadedBarcode: loaded?.barcode ?? '',
      changerName: library?.name ?? '',
      changerDriveIndex: id.libraryDriveIndex,
      alerts,
    });
  }
  const changers: ChangerInfo[] = [];
  for (const library of set.libraries) {
    const status = await library.status();
    changers.push({
      name: library.name,
      serial: library.serial,
      slotCount: status.slots.length,
      slots: status.slots.map((s) => ({ slot: s.slot, barcode: s.barcode ?? '', importExport: s.importExport })),
    });
    for (const s of status.slots) {
      // A cartridge in a slot is known by its barcode only (detailsKnown false): the server keeps
      // what it learnt when the tape was last in a drive.
      if (s.barcode && !tapes.has(s.barcode)) {
        tapes.set(s.barcode, {
          barcode: s.barcode,
          generation: generationFromBarcode(s.barcode) ?? 0,
          capacityBytes: 0,
          usedBytes: 0,
          writeProtected: false,
          volumeUuid: '',
          formatted: false,
          detailsKnown: false,
          alerts: [],
          worm: isWormBarcode(s.barcode),
          cleaning: isCleaningBarcode(s.barcode),
        });
      }
    }
  }
  return { drives, changers, tapes: [...tapes.values()] };
}
