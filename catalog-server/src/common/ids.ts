// Ids are PostgreSQL UUIDs. A malformed id from a client must read as "not found", not reach the
// database (where it would be a type error), so every lookup by id checks the shape first.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
