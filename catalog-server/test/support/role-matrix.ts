// The role matrix the tests walk: which role each GraphQL operation needs (what issue 17 asks), and
// one document per operation of a schema, built from the schema itself, so a new operation cannot
// be left out; and the HTTP routes with what each declares, walked from the running app. Shared by the integration test (in-process server) and the end-to-end security suite
// (the real server process).
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { RequestMethod, type INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { PUBLIC_KEY, ROLE_KEY } from '../../src/modules/auth/roles.js';

// Operator: backups, restores, verifies, tape moves; admin: forced formats, pools, retention,
// schedules, agents, operators, tokens. Every other query and subscription is VIEWER. A new
// mutation fails the tests until it is listed here.
const ADMIN = new Set([
  'Mutation.createSchedule',
  'Mutation.updateSchedule',
  'Mutation.pauseSchedule',
  'Mutation.resumeSchedule',
  'Mutation.deleteSchedule',
  'Mutation.createPool',
  'Mutation.updatePool',
  'Mutation.applyRetention',
  'Mutation.purgeCatalog',
  'Mutation.retireTape',
  'Mutation.rebuildCatalog',
  'Mutation.rebuildCatalogFromLibrary',
  'Mutation.createOperator',
  'Mutation.setOperatorRole',
  'Mutation.disableOperator',
  'Mutation.enableOperator',
  'Mutation.createApiToken',
  'Mutation.createAgentEnrollment',
  'Mutation.revokeAgent',
  'Query.operators',
  'Query.apiTokens',
  'Query.auditLog',
]);
const OPERATOR = new Set([
  'Mutation.formatTape',
  'Mutation.startBackup',
  'Mutation.startRestore',
  'Mutation.startVerify',
  'Mutation.cancelJob',
  'Mutation.setJobPriority',
  'Mutation.inventory',
  'Mutation.loadTape',
  'Mutation.unloadTape',
  'Mutation.moveTape',
  'Mutation.checkTape',
  'Mutation.cleanDrive',
  'Mutation.markOffsite',
  'Mutation.registerTape',
  'Query.planBackup',
]);
/** Mutations any operator may call (on what is their own). */
const VIEWER_MUTATIONS = new Set(['Mutation.revokeApiToken']);

/** The operations the matrix names for ADMIN and OPERATOR (each must exist in the schema). */
export const PRIVILEGED_OPERATIONS: readonly string[] = [...ADMIN, ...OPERATOR];

export const ROLES = ['VIEWER', 'OPERATOR', 'ADMIN'] as const;
export type RoleName = (typeof ROLES)[number];

export function expectedRole(op: string): RoleName {
  if (ADMIN.has(op)) return 'ADMIN';
  if (OPERATOR.has(op)) return 'OPERATOR';
  if (op.startsWith('Mutation.') && !VIEWER_MUTATIONS.has(op)) throw new Error(`${op} is in no role list of this test: decide which role it needs`);
  return 'VIEWER';
}

/** Whether `held` is below `needed`. */
export function roleBelow(held: RoleName, needed: RoleName): boolean {
  return ROLES.indexOf(held) < ROLES.indexOf(needed);
}

/** A literal of the type that passes GraphQL's own validation (the role check comes after it). */
function literal(type: GraphQLInputType): string {
  if (isNonNullType(type)) return literal(type.ofType);
  if (isListType(type)) return '[]';
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
    return `{ ${fields.map((f) => `${f.name}: ${literal(f.type)}`).join(', ')} }`;
  }
  if (isScalarType(type)) {
    if (type.name === 'Int' || type.name === 'Float') return '1';
    if (type.name === 'Boolean') return 'false';
    if (type.name === 'DateTime') return '"2026-01-01T00:00:00.000Z"';
    return '"00000000-0000-4000-8000-000000000000"';
  }
  throw new Error(`no literal for ${String(type)}`);
}

type OperationKind = 'query' | 'mutation' | 'subscription';

function operationOf(kind: OperationKind, field: GraphQLField<unknown, unknown>): string {
  const args = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  const argText = args.length ? `(${args.map((a) => `${a.name}: ${literal(a.type)}`).join(', ')})` : '';
  const named = getNamedType(field.type);
  const selection = isScalarType(named) || isEnumType(named) ? '' : ' { __typename }';
  return `${kind} { ${field.name}${argText}${selection} }`;
}

export interface SchemaOperation {
  /** "Query.tapes", "Mutation.formatTape", "Subscription.jobUpdated". */
  op: string;
  kind: OperationKind;
  /** A document calling it with placeholder arguments of the right types. */
  document: string;
  needed: RoleName;
}

/** Every operation of the schema of the given kinds, in schema order. */
export function schemaOperations(schema: GraphQLSchema, kinds: readonly OperationKind[] = ['query', 'mutation']): SchemaOperation[] {
  const roots = { query: schema.getQueryType(), mutation: schema.getMutationType(), subscription: schema.getSubscriptionType() };
  return kinds.flatMap((kind) => {
    const type = roots[kind];
    if (!type) return [];
    return Object.values(type.getFields()).map((field) => {
      const op = `${type.name}.${field.name}`;
      return { op, kind, document: operationOf(kind, field), needed: expectedRole(op) };
    });
  });
}

/** An HTTP route of the Nest app and what it declares: a least role, or public with a reason. */
export interface HttpRoute {
  /** "GET /jobs/:id/log.jsonl". */
  route: string;
  role?: string;
  public?: string;
}

/** Every controller route of the running app, walked from Nest's own module container. */
export function httpRoutes(app: INestApplication): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '/');
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const route = `${method} /${[base, String(Reflect.getMetadata(PATH_METADATA, handler))]
          .join('/')
          .replace(/\/+/g, '/')
          .replace(/^\/|\/$/g, '')}`;
        const role = (Reflect.getMetadata(ROLE_KEY, handler) as { role: string } | undefined)?.role;
        routes.push({ route, role, public: Reflect.getMetadata(PUBLIC_KEY, handler) as string | undefined });
      }
    }
  }
  return routes.sort((a, b) => a.route.localeCompare(b.route));
}
