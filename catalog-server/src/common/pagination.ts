// Relay-style connections shared by every list in the API: the generic Connection/Edge types, the
// first/after arguments, and opaque cursors. Cursors are base64url JSON so their content can change
// (offset today, keyset where the list is large) without breaking clients that treat them as opaque.
import { Type } from '@nestjs/common';
import { ArgsType, Field, Int, ObjectType } from '@nestjs/graphql';
import { FerriteError } from './errors.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

@ObjectType('PageInfo')
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export interface Edge<T> {
  node: T;
  cursor: string;
}

export interface ConnectionShape<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  totalCount: number;
}

/** Builds the `<Name>Edge` type and the base of `<Name>Connection` for a node type. */
export function Connection<T>(nodeType: Type<T>, name: string): abstract new () => ConnectionShape<T> {
  @ObjectType(`${name}Edge`)
  class EdgeType {
    @Field(() => nodeType)
    node!: T;

    @Field()
    cursor!: string;
  }

  // Abstract: the concrete `<Name>Connection` class extends it (`class TapeConnection extends
  // Connection(TapeModel, 'Tape') {}`) so the type has a real class for Nest to reflect.
  @ObjectType({ isAbstract: true })
  abstract class ConnectionType {
    @Field(() => [EdgeType])
    edges!: Edge<T>[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int)
    totalCount!: number;
  }
  return ConnectionType;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: `Page size, 1..${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).` })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page.' })
  after?: string | null;
}

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new FerriteError('INVALID_PAGE_SIZE', `first must be between 1 and ${MAX_PAGE_SIZE}, got ${first}`, { first });
  }
  return first;
}

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, check: (v: unknown) => v is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!check(value)) {
    throw new FerriteError('INVALID_CURSOR', 'the `after` cursor is not one this list handed out; start again without it', { cursor });
  }
  return value;
}

const isOffset = (v: unknown): v is { o: number } =>
  typeof v === 'object' && v !== null && Number.isInteger((v as { o: unknown }).o) && (v as { o: number }).o >= 0;

/** Offset of the first row after `after` (0 without a cursor). For small lists (agents, tapes, pools). */
export function offsetAfter(after: string | null | undefined): number {
  return after ? decodeCursor(after, isOffset).o + 1 : 0;
}

/**
 * Wraps one page of rows (fetched with `take = size + 1`, starting at `offset`) as a connection.
 * The extra row only tells whether there is a next page.
 */
export function offsetConnection<R, T>(rows: R[], size: number, offset: number, totalCount: number, map: (row: R) => T): ConnectionShape<T> {
  const page = rows.slice(0, size);
  const edges = page.map((row, i) => ({ node: map(row), cursor: encodeCursor({ o: offset + i }) }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}
