// When an interrupted backup resumes, and the log line that says from which checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canResume, giveUpMessage, MAX_BACKUP_ATTEMPTS, resumeMessage } from '../../../../src/modules/jobs/lifecycle/job-resume.js';

test('a backup resumes until it has used its last attempt', () => {
  assert.equal(canResume(1), true);
  assert.equal(canResume(MAX_BACKUP_ATTEMPTS - 1), true);
  assert.equal(canResume(MAX_BACKUP_ATTEMPTS), false);
  assert.match(giveUpMessage(MAX_BACKUP_ATTEMPTS), new RegExp(`${MAX_BACKUP_ATTEMPTS} attempts were interrupted`));
});

test('the RESUMED line names the next attempt and the last confirmed checkpoint', () => {
  const line = resumeMessage(2, { attempt: 1, batchSeq: 3, manifest: 'ferrite/manifests/j-000003.jsonl', confirmedEntries: 15000 });
  assert.equal(
    line,
    'the agent is back: queued again as attempt 2, resuming from checkpoint 3 of attempt 1 (ferrite/manifests/j-000003.jsonl); 15000 confirmed entries are not written again',
  );
  assert.doesNotMatch(resumeMessage(3, { attempt: 2, batchSeq: 1, manifest: '', confirmedEntries: 1 }), /\(\)/, 'no empty manifest');
  assert.match(resumeMessage(2, null), /attempt 2; no checkpoint was confirmed, so it starts from the beginning/);
});
