import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyHexBytea, copyInt, copyText } from '../../../src/modules/files/copy-text.js';

/** PostgreSQL's COPY text decoding of one field (the subset the ingest emits). */
function decode(field: string): string | null {
  if (field === '\\N') return null;
  return field.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c] ?? c);
}

describe('COPY text values', () => {
  it('escape only backslash, tab, newline and carriage return, and survive decoding', () => {
    const tricky = ['', 'plain', 'a,b', '{x}', 'q"uote', 'back\\slash', 'new\nline', 'cr\rhere', 'tab\there', '\\N', 'NULL', 'ünï😀', '\\\t\n\r'];
    for (const v of tricky) {
      const out = copyText(v);
      assert.ok(!/[\t\n\r]/.test(out), `raw separator left in ${JSON.stringify(out)}`);
      assert.equal(decode(out), v);
    }
    assert.equal(copyText('plain'), 'plain');
  });

  it('write NULL as \\N, never the text "\\N"', () => {
    assert.equal(copyText(null), '\\N');
    assert.equal(copyText(undefined), '\\N');
    assert.notEqual(copyText('\\N'), '\\N');
    assert.equal(copyInt(null), '\\N');
    assert.equal(copyInt(12345678901234), '12345678901234');
    assert.equal(copyHexBytea(null), '\\N');
  });

  it('write bytea hex with the backslash escaped for COPY', () => {
    assert.equal(copyHexBytea('00ff'), '\\\\x00ff');
    assert.equal(decode(copyHexBytea('00ff')), '\\x00ff');
  });
});
