#!/usr/bin/env node
// `npm start`: the whole of Ferrite on one machine. The catalog server (with its embedded
// PostgreSQL) and one agent with an emulated library of 2 LTO-9 drives and 8 scratch tapes. State
// lives in .ferrite/ (git-ignored), so stopping and starting again keeps the catalog and the tapes.
// Ctrl-C stops the agent first (running jobs checkpoint and unmount), then the server.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, createWriteStream, existsSync } from 'node:fs';
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const home = path.join(root, '.ferrite');
const logs = path.join(home, 'logs');
const graphqlPort = Number(process.env.FERRITE_GRAPHQL_PORT ?? 4000);
const grpcPort = Number(process.env.FERRITE_GRPC_PORT ?? 50051);
const graphqlUrl = `http://localhost:${graphqlPort}/graphql`;
// The server's first start creates the operator `admin` and writes its API token here (mode 0600).
const adminTokenFile = path.join(home, 'admin-token');

for (const built of ['catalog-server/dist/src/main.js', 'agent/dist/src/main.js']) {
  if (!existsSync(path.join(root, built))) {
    console.error(`${built} is missing: run \`npm ci\` (or \`npm run build\`) first`);
    process.exit(1);
  }
}
await mkdir(logs, { recursive: true });
await mkdir(path.join(home, 'restores'), { recursive: true });

// FERRITE_TAPE_BACKEND=ltfs: the same library, but its cartridges are real LTFS tapes (LTFS's file
// backend keeps each in a directory) that the agent mounts with the real ltfs through FUSE.
const backend = process.env.FERRITE_TAPE_BACKEND ?? 'emulated';
if (backend !== 'emulated' && backend !== 'ltfs') {
  console.error(`FERRITE_TAPE_BACKEND must be "emulated" (the default) or "ltfs", not ${JSON.stringify(backend)}`);
  process.exit(1);
}
const onLtfs = backend === 'ltfs';
if (onLtfs) {
  const missing = ltfsMissing();
  if (missing.length > 0) {
    console.error(`FERRITE_TAPE_BACKEND=ltfs needs the real LTFS and FUSE, and this machine lacks:\n  - ${missing.join('\n  - ')}
Install LTFS 2.4 (mkltfs, ltfs, ltfsck on PATH; the LTFS reference implementation builds from source)
and FUSE (Debian: fuse, libfuse-dev), run as root or in the fuse group, or run \`npm start\` without it.`);
    process.exit(1);
  }
}

/** The LTFS tools and FUSE this machine lacks (empty when it has them). */
function ltfsMissing() {
  const missing = [];
  for (const tool of ['mkltfs', 'ltfs', 'ltfsck', 'getfattr']) {
    const r = spawnSync(tool, ['-V'], { stdio: 'ignore' });
    if (r.error) missing.push(`${tool} (${r.error.code === 'ENOENT' ? 'not found on PATH' : r.error.message})`);
  }
  try {
    accessSync('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch (err) {
    missing.push(`FUSE (/dev/fuse: ${err.code})`);
  }
  return missing;
}

const agentConfigPath = path.join(home, onLtfs ? 'agent-ltfs.json' : 'agent.json');
// Barcodes differ per backend: one catalog serves both, and a tape is known by its barcode.
const barcodePrefix = onLtfs ? 'LTF' : 'FER';
// The agent's own policy for a local trial: it backs up anything under the checkout, the home
// directory and the system's temp directory, and formats (with force) the tapes of its own library.
// A real deployment states its own (deploy/agent.example.json).
const localPolicy = { allowedBackupRoots: [root, os.homedir(), os.tmpdir()], allowFormat: true, allowForceFormat: true };
if (existsSync(agentConfigPath)) {
  // A config written before the agent had a policy: without allowedBackupRoots it would not start.
  const existing = JSON.parse(await readFile(agentConfigPath, 'utf8'));
  if (!existing.allowedBackupRoots) {
    await writeFile(agentConfigPath, JSON.stringify({ ...localPolicy, ...existing }, null, 2) + '\n');
    console.log(`added the agent's policy (allowedBackupRoots, allowFormat, allowForceFormat) to ${agentConfigPath}`);
  }
} else {
  const barcodes = Array.from({ length: 8 }, (_, i) => `${barcodePrefix}${String(i + 1).padStart(3, '0')}L9`);
  const library = onLtfs
    ? // Real LTFS cartridges of 8 GiB in .ferrite/ltfs-shelf/cartridges/<barcode>/ltfs; mounted on
      // .ferrite/agent/ltfs-file/ while a job runs.
      {
        backend: 'ltfs-file',
        name: 'ltfs1',
        dir: 'ltfs-library',
        shelfDir: 'ltfs-shelf',
        slots: 10,
        drives: 2,
        generation: 9,
        capacityBytes: 8 * 1024 ** 3,
        barcodes,
        importExportSlots: 2,
      }
    : // Emulated LTO-9 cartridges scaled down to 8 GiB so a laptop disk is enough; files take real space.
      // The cartridges' contents live on a shelf (.ferrite/shelf) that other emulated libraries of this
      // machine can share: `npm run shelf -- remove|insert|list --library .ferrite/library ...` moves tapes.
      // The last 2 slots are import/export (mail) slots, where `insert` puts a tape first.
      {
        backend: 'emulated',
        name: 'lib1',
        dir: 'library',
        shelfDir: 'shelf',
        slots: 10,
        drives: 2,
        generation: 9,
        capacityBytes: 8 * 1024 ** 3,
        barcodes,
        timeScale: 0,
        importExportSlots: 2,
      };
  const agentConfig = {
    name: 'local-agent',
    server: `127.0.0.1:${grpcPort}`,
    hostname: os.hostname(),
    stateDir: 'agent',
    allowedRestoreRoots: [path.join(home, 'restores'), path.join(os.tmpdir(), 'ferrite-restores')],
    ...localPolicy,
    libraries: [library],
  };
  await writeFile(agentConfigPath, JSON.stringify(agentConfig, null, 2) + '\n');
}
const libraryDir = onLtfs ? '.ferrite/ltfs-library' : '.ferrite/library';

// Each part is supervised: one that dies (a crash, a kill -9 while trying out recovery) is started
// again after a backoff (1 s, doubling to 30 s), and the others keep running; a part that keeps
// dying within a minute of its start (a configuration error) stops everything after 5 tries.
const RESTART_MAX_DELAY_MS = 30_000;
const RESTART_TRIES = 5;
const STABLE_AFTER_MS = 60_000;
const parts = [];
function start(name, script, args, env) {
  const logFile = path.join(logs, `${name}.log`);
  const part = { name, child: null, failures: 0 };
  const launch = () => {
    const startedAt = Date.now();
    const child = spawn(process.execPath, [path.join(root, script), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    part.child = child;
    const out = createWriteStream(logFile, { flags: 'a' });
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    child.on('exit', (code, signal) => {
      if (shuttingDown) return;
      part.failures = Date.now() - startedAt > STABLE_AFTER_MS ? 1 : part.failures + 1;
      const log = path.relative(process.cwd(), logFile);
      if (part.failures > RESTART_TRIES) {
        console.error(`\n${name} exited (${signal ?? code}) ${RESTART_TRIES} times within a minute of starting; see ${log}. Stopping Ferrite.`);
        return void shutdown(1);
      }
      const delay = Math.min(RESTART_MAX_DELAY_MS, 1000 * 2 ** (part.failures - 1));
      console.error(`\n${name} exited (${signal ?? code}); starting it again in ${delay / 1000} s (see ${log})`);
      setTimeout(() => shuttingDown || launch(), delay);
    });
  };
  launch();
  parts.push(part);
  return part;
}

let shuttingDown = false;
async function shutdown(code = 0) {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log('\nstopping Ferrite...');
  // Agent first, so its jobs can still report to the server while they wind down.
  for (const { name, child } of [...parts].reverse()) {
    if (!child || child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(60_000)]);
    console.log(`  ${name} stopped`);
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

console.log('starting the catalog server (embedded PostgreSQL in .ferrite/server/pg)...');
start('server', 'catalog-server/dist/src/main.js', [], {
  FERRITE_DATA_DIR: path.join(home, 'server'),
  FERRITE_ADMIN_TOKEN_FILE: adminTokenFile,
  FERRITE_GRAPHQL_PORT: String(graphqlPort),
  FERRITE_GRPC_PORT: String(grpcPort),
});

async function graphql(query) {
  const token = (await readFile(adminTokenFile, 'utf8').catch(() => '')).trim();
  const res = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return res.json();
}

const deadline = Date.now() + 120_000;
for (;;) {
  if (shuttingDown) await sleep(1e9);
  try {
    const r = await graphql('{ __typename }');
    if (r.data) break;
    if (r.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED') {
      console.error(`the server answers but refuses the token in ${path.relative(root, adminTokenFile)} (${r.errors[0].message}).
The catalog in .ferrite/server already has operators: put an admin's API token into that file (mode 0600),
or stop and remove .ferrite/server to start over with a new catalog.`);
      await shutdown(1);
    }
  } catch {}
  if (Date.now() > deadline) {
    console.error(`the server did not answer at ${graphqlUrl} within 2 minutes; see .ferrite/logs/server.log`);
    await shutdown(1);
  }
  await sleep(300);
}

console.log(
  `starting the agent "local-agent" with ${onLtfs ? 'a library of real LTFS cartridges (file backend)' : 'an emulated library'} (2 LTO-9 drives, 8 tapes)...`,
);
// The agent proves itself with a certificate from the server's CA. On its first start it enrols
// with a one-time token made here with the admin token (as an admin would with
// createAgentEnrollment); afterwards its certificate is in .ferrite/agent/identity.
let enrollmentEnv = {};
if (!existsSync(path.join(home, 'agent', 'identity', 'agent.pem'))) {
  const r = await graphql('mutation { createAgentEnrollment(name: "local-agent", expiresInMinutes: 10) { token caFingerprint } }');
  if (!r.data) {
    console.error(`could not create an enrolment token for the local agent: ${r.errors?.[0]?.message}`);
    await shutdown(1);
  }
  console.log(`enrolling the local agent with the server's CA (fingerprint ${r.data.createAgentEnrollment.caFingerprint})`);
  enrollmentEnv = { FERRITE_ENROLLMENT_TOKEN: r.data.createAgentEnrollment.token };
}
start('agent', 'agent/dist/src/main.js', ['--config', agentConfigPath], enrollmentEnv);
for (let i = 0; i < 100; i++) {
  const r = await graphql('{ agent(name: "local-agent") { online } }').catch(() => null);
  if (r?.data?.agent?.online) break;
  await sleep(300);
}

const sample = path.join(root, 'proto');
console.log(`
Ferrite is running.

  GraphQL (open in a browser):  ${graphqlUrl}
  Agents dial gRPC at:          127.0.0.1:${grpcPort}
  Logs:                         .ferrite/logs/server.log, .ferrite/logs/agent.log
  Admin API token:              .ferrite/admin-token (operator "admin", role ADMIN; keep it secret)

Every request needs the token. In the IDE, open "Headers" and enter
  { "Authorization": "Bearer <the contents of .ferrite/admin-token>" }
From a shell:
  curl -H "Authorization: Bearer $(cat .ferrite/admin-token)" -H 'content-type: application/json' \\
       -d '{"query":"{ me { name role } }"}' ${graphqlUrl}

Paste these into the GraphQL IDE, one at a time:

  query { tapes { edges { node { barcode state usedBytes capacityBytes location { agent slot drive } } } } }
  mutation { formatTape(barcode: "${barcodePrefix}001L9") { id status } }
  mutation { startBackup(input: { agent: "local-agent", paths: ["${sample}"] }) { id status } }
  query { jobs { edges { node { id kind status progress { filesDone filesTotal bytesDone bytesTotal } errorCode errorMessage } } } }
  query { files(filter: { nameGlob: "*.proto" }) { edges { node { id path size sha256 placements { barcode partition startBlock } } } } }
  mutation { startRestore(input: { agent: "local-agent", selection: { host: "local-agent", pathPrefix: "${sample}" }, targetDirectory: "${path.join(home, 'restores', 'proto')}", stripPrefix: "${sample}" }) { id status } }
  mutation { startVerify(input: { tape: "${barcodePrefix}001L9" }) { id status } }

Move tapes by hand (the emulated library's operator tool), then run an inventory:

  npm run shelf -- list --library ${libraryDir}
  npm run shelf -- remove --library ${libraryDir} ${barcodePrefix}008L9
  npm run shelf -- insert --library ${libraryDir} ${barcodePrefix}008L9
  mutation { inventory(agent: "local-agent") { id } }

Press Ctrl-C to stop; starting again keeps the catalog and the tapes.
`);
await new Promise(() => {});
