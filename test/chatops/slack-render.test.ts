import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderSlackReply, type SlackBlock, type SlackMessage } from '../../src/chatops/slack/render.ts';
import type { ChatReply } from '../../src/chatops/types.ts';
import { validateMessage } from '../fakes/slack.ts';

/** Slack (the fake enforces its documented limits) accepts it. */
function accepted(m: SlackMessage): void {
  assert.equal(validateMessage({ text: m.text, blocks: m.blocks }), undefined, JSON.stringify(validateMessage({ text: m.text, blocks: m.blocks })));
  assert.ok(m.blocks.length <= 50);
  assert.ok(m.text.length <= 40_000);
}

const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The text inside the ``` fences of the code sections, joined back together. */
function codeText(blocks: SlackBlock[]): string {
  return blocks
    .filter((b): b is { type: 'section'; text: { type: 'mrkdwn'; text: string } } => b.type === 'section' && 'text' in b && b.text.text.startsWith('```'))
    .map((b) => unescape(b.text.text.slice(4, -4)))
    .join('\n');
}

const notesOf = (m: SlackMessage): string => m.blocks.filter((b) => b.type === 'context').flatMap((b) => (b as { elements: { text: string }[] }).elements.map((e) => e.text)).join('\n');

describe('renderSlackReply', () => {
  it('a 100-row table is one aligned code block (split across sections), every row shown, nothing to upload', () => {
    const rows = Array.from({ length: 100 }, (_, i) => [`web-7d4b9c-${String(i).padStart(5, 'x')}`, i % 3 ? '1/1' : '0/1', i % 3 ? 'Running' : 'CrashLoopBackOff', String(i), `${i}m`]);
    const m = renderSlackReply({ status: 'ok', title: 'pods in demo', blocks: [{ kind: 'table', columns: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'], rows }] });
    accepted(m);
    assert.deepEqual(m.files, []);
    assert.deepEqual(m.blocks[0], { type: 'section', text: { type: 'mrkdwn', text: '*pods in demo*' } });
    const lines = codeText(m.blocks).split('\n');
    assert.equal(lines.length, 101);
    assert.match(lines[0], /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    // aligned: every column starts where its header does
    const starts = ['READY', 'STATUS', 'RESTARTS', 'AGE'].map((h) => lines[0].indexOf(h));
    for (const [i, line] of lines.slice(1).entries()) {
      for (const [c, at] of starts.entries()) assert.notEqual(line[at - 1], undefined, `row ${i} column ${c}`);
      assert.equal(line.slice(starts[1]).split(/\s+/)[0], rows[i][2]);
      assert.equal(line.slice(0, starts[0]).trim(), rows[i][0]);
    }
    assert.ok(m.blocks.filter((b) => b.type === 'section').length >= 3, 'split across sections');
    assert.equal(notesOf(m), '');
  });

  it('a 10,000-line log does not fit: the tail is shown, the whole log goes to a file, and a note says so', () => {
    const log = Array.from({ length: 10_000 }, (_, i) => `2024-05-01T10:00:${String(i % 60).padStart(2, '0')}Z line ${i} <error> & retry`).join('\n');
    const m = renderSlackReply({ status: 'ok', title: 'logs crashloop', blocks: [{ kind: 'code', text: log }] });
    accepted(m);
    assert.equal(m.files.length, 1);
    assert.equal(m.files[0].content, log);
    const shown = codeText(m.blocks).split('\n');
    assert.deepEqual(shown, log.split('\n').slice(-shown.length), 'the newest lines');
    assert.ok(shown.length > 0 && shown.length <= 20);
    assert.match(notesOf(m), new RegExp(`showing the last ${shown.length} of 10,000 lines; the whole output is in ${m.files[0].name}`));
  });

  it("a log whose reply already has the file points to it instead of uploading it twice", () => {
    const log = Array.from({ length: 10_000 }, (_, i) => `line ${i}`).join('\n');
    const m = renderSlackReply({ status: 'ok', blocks: [{ kind: 'code', text: log }], file: { name: 'crashloop.log', content: log }, notes: ['showing the last 10,000 lines'] });
    accepted(m);
    assert.deepEqual(m.files.map((f) => f.name), ['crashloop.log']);
    assert.match(notesOf(m), /showing the last 10,000 lines/);
    assert.match(notesOf(m), /the whole output is in crashloop\.log/);
  });

  it('a reply file is passed through even when everything fits', () => {
    const m = renderSlackReply({ status: 'ok', blocks: [{ kind: 'code', text: 'last line' }], file: { name: 'web.log', content: 'first line\nlast line' } });
    accepted(m);
    assert.deepEqual(m.files, [{ name: 'web.log', content: 'first line\nlast line' }]);
  });

  it('a message beyond 40,000 characters moves its largest output to a file even under 50 blocks', () => {
    const text = Array.from({ length: 600 }, (_, i) => `${i} ${'x'.repeat(90)}`).join('\n'); // ≈ 56,000 characters
    const m = renderSlackReply({ status: 'ok', blocks: [{ kind: 'code', text }] });
    accepted(m);
    assert.equal(m.files[0].content, text);
    const chars = m.blocks.reduce((n, b) => n + ('text' in b ? b.text.text.length : 0), 0);
    assert.ok(chars <= 40_000);
  });

  it('escapes &, < and > everywhere mrkdwn is read, so text cannot mention or link', () => {
    const m = renderSlackReply({
      status: 'ok',
      title: 'a <!channel> & b',
      blocks: [
        { kind: 'text', text: '<@U123> <https://evil|click>' },
        { kind: 'code', text: 'if a < b && c > d' },
        { kind: 'fields', fields: [{ label: '<x>', value: 'a&b' }] },
      ],
      notes: ['<!here>'],
    });
    accepted(m);
    const all = JSON.stringify(m.blocks);
    assert.doesNotMatch(all, /<[!@h]/);
    assert.match(all, /\*a &lt;!channel&gt; &amp; b\*/);
    assert.match(all, /if a &lt; b &amp;&amp; c &gt; d/);
    assert.match(all, /\*&lt;x&gt;\*\\na&amp;b/);
    assert.match(all, /&lt;!here&gt;/);
    assert.doesNotMatch(m.text, /<!channel>/);
  });

  it('long text is split across sections without losing a character, also when escaping makes it longer', () => {
    // escaped, ≈ 33,000 characters: more than ten sections, less than a message
    const text = Array.from({ length: 400 }, (_, i) => `para ${i} <&> ${'y'.repeat(20)}`).join('\n') + '\n' + '&'.repeat(3000);
    const m = renderSlackReply({ status: 'ok', blocks: [{ kind: 'text', text }] });
    accepted(m);
    const back = m.blocks.filter((b) => b.type === 'section').map((b) => unescape((b as { text: { text: string } }).text.text));
    assert.deepEqual(m.files, []);
    assert.ok(back.length > 10);
    assert.ok(back.join('').replace(/\n/g, '') === text.replace(/\n/g, ''), 'the sections joined are the text');
  });

  it('fields: at most 10 to a section; a value too long for a field gets sections of its own', () => {
    const fields = Array.from({ length: 23 }, (_, i) => ({ label: `f${i}`, value: `v${i}` }));
    fields.splice(5, 0, { label: 'spec', value: 'z'.repeat(2500) });
    const m = renderSlackReply({ status: 'ok', blocks: [{ kind: 'fields', fields }] });
    accepted(m);
    const sections = m.blocks.filter((b) => b.type === 'section');
    for (const s of sections) if ('fields' in s) assert.ok(s.fields.length <= 10);
    const text = JSON.stringify(m.blocks);
    for (const f of fields) assert.ok(text.includes(f.value.slice(0, 100)), f.label);
    assert.equal((text.match(/z/g) ?? []).length, 2500);
  });

  it('actions become buttons with their style and value; more than 25 take two actions blocks', () => {
    const m = renderSlackReply({
      status: 'pending',
      title: 'scale deployment web to 0?',
      blocks: [],
      actions: [
        { id: 'confirm', label: 'Scale to 0', style: 'danger', value: 'req-42' },
        { id: 'cancel', label: 'Cancel', value: 'req-42' },
      ],
    });
    accepted(m);
    const actions = m.blocks.at(-1) as { type: string; elements: { action_id: string; style?: string; value: string; text: { text: string } }[] };
    assert.equal(actions.type, 'actions');
    assert.deepEqual(actions.elements.map((e) => [e.action_id, e.style, e.value, e.text.text]), [
      ['confirm', 'danger', 'req-42', 'Scale to 0'],
      ['cancel', undefined, 'req-42', 'Cancel'],
    ]);
    const many = renderSlackReply({ status: 'ok', blocks: [], actions: Array.from({ length: 30 }, (_, i) => ({ id: `a${i}`, label: 'L'.repeat(100), value: String(i) })) });
    accepted(many);
    assert.equal(many.blocks.filter((b) => b.type === 'actions').length, 2);
  });

  it('more parts than blocks: the first ones stay in order, the rest goes to a file, with a note', () => {
    const blocks: ChatReply['blocks'] = Array.from({ length: 80 }, (_, i) => ({ kind: 'text', text: `part ${i}` }));
    const m = renderSlackReply({ status: 'ok', title: 't', blocks, actions: [{ id: 'x', label: 'X', value: 'v' }] });
    accepted(m);
    assert.equal(m.blocks.length, 50);
    assert.equal(m.files.length, 1);
    const shownParts = m.blocks.filter((b) => b.type === 'section' && 'text' in b && /^part \d+$/.test(b.text.text)).length;
    assert.equal(m.files[0].content.split('\n\n').length, 80 - shownParts);
    assert.ok(m.files[0].content.endsWith('part 79'));
    assert.match(notesOf(m), /the rest is in output\.txt/);
    assert.equal(m.blocks.at(-1)?.type, 'actions');
  });

  it('a slash command reply says who ran what; the fallback text is a short summary', () => {
    const m = renderSlackReply({ status: 'ok', title: '3 pods', blocks: [{ kind: 'text', text: 'x' }] }, { mentionUser: 'U0ALICE', command: '/kube pods -n <demo>' });
    accepted(m);
    assert.deepEqual(m.blocks[0], { type: 'context', elements: [{ type: 'mrkdwn', text: '<@U0ALICE> ran `/kube pods -n &lt;demo&gt;`' }] });
    assert.equal(m.text, '3 pods');
    // an id that is not a Slack user id is never turned into a mention
    const odd = renderSlackReply({ status: 'ok', blocks: [{ kind: 'text', text: 'x' }] }, { mentionUser: '!channel' });
    assert.doesNotMatch(JSON.stringify(odd.blocks), /<!/);
    const untitled = renderSlackReply({ status: 'error', blocks: [{ kind: 'code', text: `${'q'.repeat(1000)}\nsecond` }] });
    assert.ok(untitled.text.length <= 300 && untitled.text.endsWith('…'));
  });

  it('empty output and code containing ``` still render', () => {
    const m = renderSlackReply({ status: 'ok', blocks: [{ kind: 'code', text: '' }, { kind: 'code', text: 'a ``` b' }, { kind: 'text', text: '   ' }, { kind: 'fields', fields: [] }] });
    accepted(m);
    assert.equal(m.blocks.length, 2);
    assert.match(JSON.stringify(m.blocks[0]), /no output/);
    assert.equal((JSON.stringify(m.blocks[1]).match(/```/g) ?? []).length, 2, 'the content cannot close the block');
  });
});
