// Builds the GraphQL IDE (graphiql + react) into dist/graphql-ide/: one minified script, one
// stylesheet (GraphiQL's fonts are inlined in it) and the page. The server serves these files at
// GET /graphql and /graphql-ide/*; nothing is loaded from another origin. Part of `npm run build`.
// FERRITE_IDE_DEBUG=1 leaves the script unminified (readable stack traces in a browser test).
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, '../../dist/graphql-ide');
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: { 'graphql-ide': path.join(here, 'main.tsx') },
  outdir: out,
  bundle: true,
  minify: process.env.FERRITE_IDE_DEBUG !== '1',
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'linked',
  logLevel: 'warning',
});
await copyFile(path.join(here, 'index.html'), path.join(out, 'index.html'));
