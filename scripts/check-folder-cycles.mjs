#!/usr/bin/env node
// Fails when folders import each other in a cycle (a -> b -> ... -> a), in the agent's src/ and the
// catalog server's src/ (each server module is a folder of its own). Folders are the rooms of the
// house: a cycle means two rooms that cannot be understood, tested or moved one without the other.
// Imports are read with TypeScript's own pre-processor, so comments and strings do not count.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const trees = [
  { name: 'agent', src: path.join(root, 'agent/src'), folderOf: (rel) => (rel.length > 1 ? rel[0] : null) },
  { name: 'catalog-server', src: path.join(root, 'catalog-server/src'), folderOf: serverFolderOf },
];

/** A server module is a room; so is each sub-folder of one (jobs/dispatch, jobs/lifecycle, ...),
 *  except the GraphQL `models` and `dto` folders, which belong to the room around them. */
function serverFolderOf(rel) {
  if (rel[0] !== 'modules') return rel.length > 1 ? rel[0] : null;
  if (rel.length > 3 && !['models', 'dto'].includes(rel[2])) return `modules/${rel[1]}/${rel[2]}`;
  return rel.length > 2 ? `modules/${rel[1]}` : null;
}

function* tsFiles(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

/** The first cycle in a directed graph (Map of sets), as a list of nodes, or null. */
function findCycle(graph) {
  const state = new Map(); // 1: on the current path, 2: done
  const stack = [];
  const visit = (node) => {
    state.set(node, 1);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 1) return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 2);
    return null;
  };
  for (const node of graph.keys())
    if (!state.has(node)) {
      const found = visit(node);
      if (found) return found;
    }
  return null;
}

let failed = false;
for (const tree of trees) {
  const graph = new Map();
  const why = new Map();
  for (const file of tsFiles(tree.src)) {
    const from = tree.folderOf(path.relative(tree.src, file).split(path.sep));
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = path.relative(tree.src, path.resolve(path.dirname(file), fileName)).split(path.sep);
      const to = target[0] === '..' ? null : tree.folderOf(target);
      if (!from || !to || from === to) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from).add(to);
      if (!why.has(`${from} ${to}`)) why.set(`${from} ${to}`, path.relative(root, file));
    }
  }
  const cycle = findCycle(graph);
  if (cycle) {
    failed = true;
    console.error(`${tree.name}: folders import each other in a cycle: ${cycle.join(' -> ')}`);
    for (let i = 0; i + 1 < cycle.length; i++) console.error(`  ${cycle[i]} -> ${cycle[i + 1]}: ${why.get(`${cycle[i]} ${cycle[i + 1]}`)}`);
  }
}
if (failed) process.exit(1);
console.log('no folder import cycles (agent/src, catalog-server/src)');
