import { registerEnumType } from '@nestjs/graphql';

// The API's own enum (not Prisma's), so the schema can evolve without breaking clients.
export enum TapeStateValue {
  SCRATCH = 'SCRATCH',
  ACTIVE = 'ACTIVE',
  FULL = 'FULL',
  SUSPECT = 'SUSPECT',
  RETIRED = 'RETIRED',
  OFFSITE = 'OFFSITE',
}

registerEnumType(TapeStateValue, {
  name: 'TapeState',
  description: 'SCRATCH: formatted or new, holds no catalogued data. ACTIVE: being filled. FULL, SUSPECT, RETIRED, OFFSITE: not written to.',
});
