// The error-code helpers the tests share: what a refusal's stable code is, failing the test when
// the operation does not fail with a FerriteError at all (a TypeError must never pass for a refusal).
import assert from 'node:assert/strict';
import { FerriteError } from '../../src/common/errors.js';

/** The code of the FerriteError `op` rejects with; fails the test when it resolves, or rejects with anything else. */
export async function rejectionCode(op: Promise<unknown>): Promise<string> {
  try {
    await op;
  } catch (err) {
    assert.ok(err instanceof FerriteError, `expected a FerriteError, got ${String(err)}`);
    return err.code;
  }
  assert.fail('expected an error');
}

/** The code of the FerriteError `fn` throws; null when it throws nothing. Fails the test on any other error. */
export function thrownCode(fn: () => unknown): string | null {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FerriteError, `expected a FerriteError, got ${String(err)}`);
    return err.code;
  }
  return null;
}
