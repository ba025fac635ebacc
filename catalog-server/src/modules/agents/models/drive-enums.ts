import { registerEnumType } from '@nestjs/graphql';

// The API's own enums (not Prisma's), so the schema can evolve without breaking clients.
export enum DriveStateValue {
  EMPTY = 'EMPTY',
  LOADED = 'LOADED',
  MOUNTED = 'MOUNTED',
  BUSY = 'BUSY',
  NEEDS_CLEANING = 'NEEDS_CLEANING',
  OFFLINE = 'OFFLINE',
}

export enum DriveBackendValue {
  EMULATED = 'EMULATED',
  LTFS = 'LTFS',
}

registerEnumType(DriveStateValue, { name: 'DriveState' });
registerEnumType(DriveBackendValue, { name: 'DriveBackend', description: 'EMULATED: a drive simulated on a directory. LTFS: real hardware.' });
