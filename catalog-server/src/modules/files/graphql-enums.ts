// GraphQL enums of the file index, registered once from the Prisma enums so the API, the database
// and the code share one spelling.
import { registerEnumType } from '@nestjs/graphql';
import { FileType, RunLevel } from '@ferrite/db';

registerEnumType(FileType, { name: 'FileType', description: 'Kind of catalog entry.' });
registerEnumType(RunLevel, { name: 'RunLevel', description: 'FULL writes everything; INCREMENTAL only what changed since the base run.' });

export { FileType, RunLevel };
