// Silences' model: validation naming the field, the matcher (globs, labels,
// CEL), whether one is in force, durations.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { note } from '../pipeline/helpers.ts';
import {
  compileSilence,
  describeMatchers,
  formatDuration,
  parseDuration,
  type Silence,
  type SilenceDraft,
  SilenceError,
  silenceActive,
  validateSilence,
} from '../../src/rules/silence.ts';

const H = 3_600_000;
const draft = (o: Partial<SilenceDraft> = {}): SilenceDraft => ({ matchers: { namespace: 'shop' }, startsAt: 0, endsAt: 2 * H, createdBy: 'alice', comment: 'drain', source: 'cli', ...o });
const silence = (o: Partial<Silence> = {}): Silence => ({ id: 's-1', ...draft(), createdAt: 0, ...o });
const OPTS = { maxDurationMs: 7 * 24 * H };

function refused(d: SilenceDraft, field: string, forcible: boolean, opts = OPTS): void {
  assert.throws(
    () => validateSilence(d, opts),
    (e: unknown) => e instanceof SilenceError && e.field === field && e.forcible === forcible && e.message.startsWith(`${field}: `),
  );
}

describe('silence validation', () => {
  it('accepts a plain silence', () => {
    validateSilence(draft(), OPTS);
  });

  it('refuses a silence with no matcher unless forced', () => {
    refused(draft({ matchers: {} }), 'matchers', true);
    refused(draft({ matchers: { namespace: '', labels: {} } }), 'matchers', true);
    validateSilence(draft({ matchers: {} }), { ...OPTS, force: true });
  });

  it('refuses one longer than the maximum unless forced', () => {
    refused(draft({ endsAt: 8 * 24 * H }), 'endsAt', true);
    validateSilence(draft({ endsAt: 8 * 24 * H }), { ...OPTS, force: true });
    validateSilence(draft({ endsAt: 7 * 24 * H }), OPTS);
  });

  it('refuses an end before the start, even forced', () => {
    refused(draft({ startsAt: 2 * H, endsAt: H }), 'endsAt', false);
    assert.throws(() => validateSilence(draft({ startsAt: H, endsAt: H }), { ...OPTS, force: true }), /endsAt: .* is not after startsAt/);
  });

  it('names a bad CEL expression, a missing author or comment, an unknown interval', () => {
    refused(draft({ matchers: { cel: 'reason ==' } }), 'matchers.cel', false);
    refused(draft({ createdBy: ' ' }), 'createdBy', false);
    refused(draft({ comment: '' }), 'comment', false);
    refused(draft({ activeTimeIntervals: ['nights'] }), 'activeTimeIntervals[0]', false, { ...OPTS, intervals: new Set(['days']) } as typeof OPTS);
    refused(draft({ matchers: { labels: { '': 'x' } } }), 'matchers.labels', false);
  });
});

describe('silence matcher', () => {
  it('matches globs on namespace, kind, name, reason and cluster; every matcher must match', () => {
    const c = compileSilence(silence({ matchers: { namespace: 'sh*', reason: 'CrashLoop?ackOff', kind: 'Pod', name: 'web-?', cluster: 'prod' } }));
    assert.equal(c.matches(note({ pod: 'web-1' })), true);
    assert.equal(c.matches(note({ pod: 'web-12' })), false);
    assert.equal(c.matches(note({ pod: 'web-1', namespace: 'other' })), false);
    assert.equal(c.matches(note({ pod: 'web-1', reason: 'OOMKilled' })), false);
    assert.equal(c.matches(note({ pod: 'web-1', cluster: 'staging' })), false);
  });

  it('matches labels by glob, and CEL', () => {
    const n = note({ pod: 'web-1' });
    n.labels.team = 'payments';
    assert.equal(compileSilence(silence({ matchers: { labels: { team: 'pay*' } } })).matches(n), true);
    assert.equal(compileSilence(silence({ matchers: { labels: { team: 'ops' } } })).matches(n), false);
    assert.equal(compileSilence(silence({ matchers: { labels: { missing: '*' } } })).matches(n), true, 'a glob * matches an absent label as ""');
    assert.equal(compileSilence(silence({ matchers: { cel: 'reason == "CrashLoopBackOff" && ns == "shop"' } })).matches(n), true);
    assert.equal(compileSilence(silence({ matchers: { cel: 'severity == "info"' } })).matches(n), false);
  });

  it('a stored expression that no longer compiles matches nothing', () => {
    assert.equal(compileSilence(silence({ matchers: { cel: 'nonsense ==' } })).matches(note()), false);
  });

  it('is in force from its start to its end, until expired, within its time intervals', () => {
    const s = silence({ startsAt: H, endsAt: 2 * H });
    assert.equal(silenceActive(s, H - 1), false);
    assert.equal(silenceActive(s, H), true);
    assert.equal(silenceActive(s, 2 * H), false);
    assert.equal(silenceActive({ ...s, expiredAt: H }, H + 1), false);
    const nights = { ...s, activeTimeIntervals: ['nights'] };
    assert.equal(silenceActive(nights, H, () => false), false);
    assert.equal(silenceActive(nights, H, (name) => name === 'nights'), true);
  });
});

describe('durations and descriptions', () => {
  it('parses and formats durations', () => {
    assert.equal(parseDuration('2h'), 2 * H);
    assert.equal(parseDuration('1d12h'), 36 * H);
    assert.equal(parseDuration('90m'), 90 * 60_000);
    for (const bad of ['', '2', 'h', '2x', '0s', '2h ', '-1h']) assert.equal(parseDuration(bad), undefined, bad);
    assert.equal(formatDuration(36 * H + 60_000), '1d12h1m');
    assert.equal(formatDuration(0), '0s');
  });

  it('describes matchers', () => {
    assert.equal(describeMatchers({ namespace: 'shop', labels: { team: 'pay' }, cel: 'x' }), 'namespace=shop labels.team=pay cel="x"');
    assert.equal(describeMatchers({}), '(everything)');
  });
});
