// Fire instants in a named zone, including both DST changes of 2026 in Europe/Berlin, and the
// refusals of bad expressions and zones.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerriteError } from '../../../src/common/errors.js';
import { canonicalTimeZone, fireInstantFor, isFireInstant, nextFireTimes, normalizeCron } from '../../../src/modules/schedules/cron-expression.js';
import { thrownCode } from '../../support/error-codes.js';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('next fire times', () => {
  it('keeps a 02:30 daily job at 02:30 local across spring-forward (Europe/Berlin, 2026-03-29)', () => {
    const times = nextFireTimes('30 2 * * *', 'Europe/Berlin', new Date('2026-03-27T12:00:00Z'), 4);
    assert.deepEqual(iso(times), [
      '2026-03-28T01:30:00.000Z', // 02:30 CET (+01:00)
      // 02:30 does not exist that night (02:00 -> 03:00): it runs once, at the first minute after the gap.
      '2026-03-29T01:00:00.000Z', // 03:00 CEST
      '2026-03-30T00:30:00.000Z', // 02:30 CEST (+02:00)
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('fires a 02:30 daily job once on fall-back night (Europe/Berlin, 2026-10-25), when 02:30 happens twice', () => {
    const times = nextFireTimes('30 2 * * *', 'Europe/Berlin', new Date('2026-10-23T12:00:00Z'), 4);
    assert.deepEqual(iso(times), [
      '2026-10-24T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T00:30:00.000Z', // the first 02:30 (CEST); not again an hour later
      '2026-10-26T01:30:00.000Z', // 02:30 CET
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  it('does not fire it again from a timer set inside the repeated hour', () => {
    // A server (re)started at 02:10 CET, after the 02:30 CEST run, must not run it at 02:30 CET.
    const from = new Date('2026-10-25T01:10:00Z');
    assert.deepEqual(iso(nextFireTimes('30 2 * * *', 'Europe/Berlin', from, 1)), ['2026-10-26T01:30:00.000Z']);
    assert.equal(isFireInstant('30 2 * * *', 'Europe/Berlin', new Date('2026-10-25T01:30:00Z')), false);
  });

  it('fires an hourly job in both copies of the repeated hour', () => {
    const times = nextFireTimes('0 * * * *', 'Europe/Berlin', new Date('2026-10-24T23:30:00Z'), 3);
    assert.deepEqual(iso(times), ['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z']);
  });

  it('reads the expression in the zone, not in UTC', () => {
    const [berlin] = nextFireTimes('0 3 * * *', 'Europe/Berlin', new Date('2026-07-01T00:00:00Z'), 1);
    const [ny] = nextFireTimes('0 3 * * *', 'America/New_York', new Date('2026-07-01T00:00:00Z'), 1);
    assert.equal(berlin.toISOString(), '2026-07-01T01:00:00.000Z');
    assert.equal(ny.toISOString(), '2026-07-01T07:00:00.000Z');
  });

  it('starts strictly after `from`', () => {
    const [next] = nextFireTimes('30 2 * * *', 'UTC', new Date('2026-05-01T02:30:00Z'), 1);
    assert.equal(next.toISOString(), '2026-05-02T02:30:00.000Z');
  });
});

describe('the instant a timer tick belongs to', () => {
  it('is the latest instant at or just before now, whatever the timer latency', () => {
    const T = '2026-03-29T01:00:00.000Z';
    assert.equal(fireInstantFor('30 2 * * *', 'Europe/Berlin', new Date('2026-03-29T01:00:00.004Z'))?.toISOString(), T);
    // A timer that runs a little early by our clock still names the instant it was set for.
    assert.equal(fireInstantFor('30 2 * * *', 'Europe/Berlin', new Date('2026-03-29T00:59:59.700Z'))?.toISOString(), T);
    assert.equal(fireInstantFor('30 2 * * *', 'Europe/Berlin', new Date('2026-03-29T06:00:00Z')), null);
  });

  it('tells instants of the expression from other times', () => {
    assert.equal(isFireInstant('30 2 * * *', 'Europe/Berlin', new Date('2026-10-25T00:30:00Z')), true);
    assert.equal(isFireInstant('30 2 * * *', 'Europe/Berlin', new Date('2026-10-25T00:31:00Z')), false);
    assert.equal(isFireInstant('30 2 * * *', 'UTC', new Date('2026-10-25T00:30:00Z')), false);
    assert.equal(isFireInstant('*/5 * * * * *', 'UTC', new Date('2026-10-25T00:30:05Z')), true);
  });
});

describe('validation', () => {
  it('canonicalizes IANA zone names and refuses anything else', () => {
    assert.equal(canonicalTimeZone('Europe/Berlin'), 'Europe/Berlin');
    assert.equal(canonicalTimeZone('europe/berlin'), 'Europe/Berlin');
    assert.equal(canonicalTimeZone('UTC'), 'UTC');
    for (const bad of ['Mars/Olympus', '', '+02:00', 'Europe/Berlin; DROP', 'CEST ']) {
      assert.equal(
        thrownCode(() => canonicalTimeZone(bad)),
        'INVALID_TIME_ZONE',
        bad,
      );
    }
  });

  it('accepts five and six fields and aliases, normalizing blanks', () => {
    assert.equal(normalizeCron('  30  2 * *   *', 'UTC'), '30 2 * * *');
    assert.equal(normalizeCron('0 3 * * SUN', 'UTC'), '0 3 * * SUN');
    assert.equal(normalizeCron('*/10 * * * * *', 'UTC'), '*/10 * * * * *');
    assert.equal(normalizeCron('@daily', 'UTC'), '@daily');
  });

  it('refuses bad expressions with a message that names the problem', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['* * *', /Too few fields/],
      ['61 * * * *', /out of range/],
      ['* * * * * * *', /Too many fields/],
      ['*/0 * * * *', /step of zero/],
      ['every day', /not valid/],
      ['0 0 30 2 *', /matches no date/],
    ];
    for (const [expr, message] of cases) {
      try {
        normalizeCron(expr, 'UTC');
        assert.fail(`accepted ${JSON.stringify(expr)}`);
      } catch (err) {
        assert.ok(err instanceof FerriteError);
        assert.equal(err.code, 'INVALID_CRON', expr);
        assert.match(err.message, message, expr);
      }
    }
  });
});
