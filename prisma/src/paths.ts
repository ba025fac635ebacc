// Where the schema and migrations live, resolved from this package so callers need no paths of their own.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const schemaPath = path.join(packageRoot, 'schema.prisma');
export const migrationsDir = path.join(packageRoot, 'migrations');
