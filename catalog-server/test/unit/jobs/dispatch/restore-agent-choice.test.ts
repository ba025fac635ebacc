import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseRestoreAgent } from '../../../../src/modules/jobs/dispatch/restore-agent-choice.js';

const agents = [
  { id: 'a', name: 'alpha', online: true },
  { id: 'b', name: 'bravo', online: true },
  { id: 'c', name: 'charlie', online: false },
];

describe('chooseRestoreAgent', () => {
  it('picks the agent holding the most files in its library, whoever wrote them', () => {
    const scores = new Map([
      ['a', { inLibrary: 3, wrote: 10 }],
      ['b', { inLibrary: 7, wrote: 0 }],
    ]);
    assert.equal(chooseRestoreAgent(agents, scores)?.name, 'bravo');
  });

  it('breaks a tie on the library by the agent that wrote the data, then by being online', () => {
    assert.equal(
      chooseRestoreAgent(
        agents,
        new Map([
          ['a', { inLibrary: 2, wrote: 1 }],
          ['c', { inLibrary: 2, wrote: 5 }],
        ]),
      )?.name,
      'charlie',
    );
    assert.equal(chooseRestoreAgent(agents, new Map([['c', { inLibrary: 0, wrote: 0 }]]))?.name, 'alpha');
  });

  it('asks an online agent when nobody holds or wrote anything, and none when no agent is registered', () => {
    assert.equal(chooseRestoreAgent([agents[2], agents[1]], new Map())?.name, 'bravo');
    assert.equal(chooseRestoreAgent([], new Map()), null);
  });
});
