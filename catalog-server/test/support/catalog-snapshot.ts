// What a refused request must leave as it was, read through GraphQL as an admin: the tapes (state,
// volume, use, place), the files and their placements, jobs, runs, pools, schedules, operators,
// tokens and operator requests; and, on disk, a directory tree (an emulated library's cartridges, a
// directory outside a restore target). Tests take one before an attack and compare after it.
import type { GraphQLClient } from 'graphql-request';
import { allFiles } from './graphql-ops.js';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { sha256Hex } from './tree.js';

const CATALOG = `{
  tapes(first: 200) { totalCount edges { node { barcode state usedBytes volumeUuid formatted formattedAt writeProtected pool { name } location { agent slot drive onShelf } } } }
  jobs(first: 200) { totalCount edges { node { id kind status errorCode attempt priority cancelRequested } } }
  runs(first: 200) { totalCount edges { node { id host root level jobId added modified } } }
  pools(first: 200) { totalCount edges { node { name generation copies retentionDays retentionRuns } } }
  schedules(first: 200) { totalCount edges { node { id name cron enabled paths } } }
  operators { name role disabledAt }
  apiTokens { id name operator expiresAt revokedAt }
  operatorRequests(first: 200) { id status barcode }
}`;

export interface CatalogSnapshot {
  catalog: unknown;
  files: unknown[];
}

/** The catalog as an admin sees it (nothing that changes by itself, such as a token's last use). */
export async function catalogSnapshot(gql: GraphQLClient): Promise<CatalogSnapshot> {
  const catalog = await gql.request(CATALOG);
  const files = (await allFiles(gql, { pathPrefix: '/' })).map((f) => ({
    id: f.id,
    path: f.path,
    type: f.type,
    size: f.size,
    sha256: f.sha256,
    placements: f.placements,
  }));
  return { catalog, files };
}

/** A directory tree on disk: each entry's type, mode, owner, size, mtime (ns), its bytes' hash or its
 *  link target. Small trees only (files are read whole); describeTree has attributes too, but needs
 *  the attr tools. */
export async function treeSnapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (rel: string) => {
    const abs = path.join(dir, rel);
    const st = await lstat(abs, { bigint: true });
    const head = `${(st.mode & 0o170000n).toString(8)} ${(st.mode & 0o7777n).toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.mtimeNs}`;
    if (st.isSymbolicLink()) out[rel] = `${head} -> ${await readlink(abs)}`;
    else if (st.isFile()) out[rel] = `${head} ${sha256Hex(await readFile(abs))}`;
    else out[rel] = head;
    if (st.isDirectory()) for (const name of (await readdir(abs)).sort()) await visit(rel ? `${rel}/${name}` : name);
  };
  await visit('');
  return out;
}
