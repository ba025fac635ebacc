// Prisma CLI configuration. The URL is only needed by `prisma migrate` run by hand against a
// PostgreSQL of your own; Ferrite applies migrations itself at server start (src/migrate.ts).
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'schema.prisma',
  migrations: { path: 'migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/ferrite' },
});
