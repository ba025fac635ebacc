// Shapes of the identifiers the file index accepts from outside. Checked before any query so a
// malformed id is a clean "not found" instead of a database cast error.
export { isUuid } from '../../common/ids.js';

const BIGINT_ID = /^[1-9][0-9]{0,18}$/;

/** Positive bigint ids (file versions, directories) travel as decimal strings. */
export function isBigintId(id: unknown): id is string {
  return typeof id === 'string' && BIGINT_ID.test(id) && BigInt(id) <= 9_223_372_036_854_775_807n;
}
