import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sharedBuffersMb } from '@ferrite/db';

const GB = 2 ** 30;

describe('embedded PostgreSQL shared buffers', () => {
  it('takes a quarter of the memory, at least 128 MB and at most 2 GB', () => {
    assert.equal(sharedBuffersMb(4 * GB), 1024);
    assert.equal(sharedBuffersMb(24 * GB), 2048);
    assert.equal(sharedBuffersMb(256 * 2 ** 20), 128);
    assert.equal(sharedBuffersMb(3 * GB), 768);
  });
});
