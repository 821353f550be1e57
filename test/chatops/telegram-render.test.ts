// Telegram replies as HTML the Bot API accepts: every name escaped, tables
// and logs in <pre>, the 4,096-character limit kept by splitting at line
// boundaries (never inside a tag) with each part marked, documents for what
// would flood a chat, and buttons whose callback_data fits in 64 bytes.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCallbackData, encodeCallbackData, renderTelegramReply } from '../../src/chatops/telegram/render.ts';
import type { ChatReply } from '../../src/chatops/types.ts';
import { MAX_CAPTION, MAX_TEXT, parseHtml } from '../fakes/telegram.ts';

/** What a reader sees of each message, checked the way the Bot API checks it. */
function visible(texts: { text: string }[]): string[] {
  return texts.map((t) => {
    const plain = parseHtml(t.text);
    assert.ok(plain.length <= MAX_TEXT, `a message of ${plain.length} characters`);
    return plain;
  });
}

describe('renderTelegramReply', () => {
  it('exact HTML: title in <b>, table and code in <pre>, fields as label: value, notes in <i>', () => {
    const reply: ChatReply = {
      status: 'ok',
      title: 'Pods in demo',
      blocks: [
        { kind: 'table', columns: ['NAME', 'READY', 'STATUS'], rows: [['web-1', '1/1', 'Running'], ['crashloop', '0/1', 'CrashLoopBackOff']] },
        { kind: 'fields', fields: [{ label: 'user', value: 'alice@corp' }, { label: 'groups', value: 'dev, ops' }] },
        { kind: 'text', text: 'done' },
        { kind: 'code', text: 'line 1\nline 2\n' },
      ],
      notes: ['showing 2 of 2 pods'],
    };
    const r = renderTelegramReply(reply);
    assert.deepEqual(r, {
      messages: [
        {
          text: [
            '<b>Pods in demo</b>',
            '',
            '<pre>NAME        READY   STATUS',
            'web-1       1/1     Running',
            'crashloop   0/1     CrashLoopBackOff</pre>',
            '',
            'user: alice@corp',
            'groups: dev, ops',
            '',
            'done',
            '',
            '<pre>line 1',
            'line 2</pre>',
            '',
            '<i>showing 2 of 2 pods</i>',
          ].join('\n'),
          parse_mode: 'HTML',
        },
      ],
      documents: [],
    });
    visible(r.messages);
  });

  it('escapes HTML in names: a pod called <script> is shown, not parsed', () => {
    const reply: ChatReply = {
      status: 'error',
      title: 'pod "<script>alert(1)</script>" & co not found',
      blocks: [
        { kind: 'table', columns: ['NAME'], rows: [['<script>alert(1)</script>'], ['a&b<c>d']] },
        { kind: 'fields', fields: [{ label: '<b>label</b>', value: '&amp;' }] },
        { kind: 'text', text: '</pre><b>' },
      ],
      notes: ['<i>not italic</i>'],
    };
    const r = renderTelegramReply(reply);
    assert.equal(r.messages.length, 1);
    const text = r.messages[0].text;
    assert.ok(!text.includes('<script>'));
    assert.ok(text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(text.includes('&amp;amp;'));
    const [plain] = visible(r.messages);
    assert.ok(plain.includes('pod "<script>alert(1)</script>" & co not found'));
    assert.ok(plain.includes('a&b<c>d'));
    assert.ok(plain.includes('<b>label</b>: &amp;'));
    assert.ok(plain.includes('</pre><b>'));
    assert.ok(plain.includes('<i>not italic</i>'));
  });

  it('a long table is split at row boundaries into parts of at most 4,096 characters, each a closed <pre>, each marked', () => {
    const rows = Array.from({ length: 120 }, (_, i) => [`web-${String(i).padStart(4, '0')}-${'x'.repeat(40)}`, '1/1', 'Running', '0', '3d']);
    const r = renderTelegramReply({ status: 'ok', title: 'Pods', blocks: [{ kind: 'table', columns: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'], rows }] });
    assert.equal(r.documents.length, 0);
    assert.ok(r.messages.length >= 2 && r.messages.length <= 3, `${r.messages.length} messages`);
    const plains = visible(r.messages);
    r.messages.forEach((m, i) => {
      assert.equal((m.text.match(/<pre>/g) ?? []).length, (m.text.match(/<\/pre>/g) ?? []).length);
      assert.ok(m.text.endsWith(`<i>part ${i + 1} of ${r.messages.length}</i>`));
    });
    // every row once, whole, in order
    const shown = plains.join('\n').split('\n').filter((l) => l.startsWith('web-'));
    assert.equal(shown.length, 120);
    shown.forEach((l, i) => assert.ok(l.startsWith(`web-${String(i).padStart(4, '0')}-`)));
  });

  it('entities count as one character: a table of & fits by what the reader sees, not by the markup', () => {
    // 60 lines of 60 &: 3,660 characters to read, 18,300 of markup
    const text = Array.from({ length: 60 }, () => '&'.repeat(60)).join('\n');
    const r = renderTelegramReply({ status: 'ok', blocks: [{ kind: 'code', text }] });
    assert.equal(r.messages.length, 1);
    assert.equal(visible(r.messages)[0], text);
  });

  it('a single line longer than a message is cut inside the line, never inside a tag or a surrogate pair', () => {
    const line = '😀'.repeat(3000);
    const r = renderTelegramReply({ status: 'ok', blocks: [{ kind: 'code', text: line }] });
    assert.equal(r.messages.length, 2);
    const plains = visible(r.messages);
    const joined = plains.map((p) => p.replace(/\n\npart \d of \d$/, '')).join('');
    assert.equal(joined, line);
  });

  it('output too long for three messages moves to a document, with the newest log lines shown and a note', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `2025-03-04T12:00:00Z line ${i} <level=info> msg="request served"`);
    const r = renderTelegramReply({ status: 'ok', title: 'Logs of web-1', blocks: [{ kind: 'code', text: lines.join('\n') }] });
    assert.equal(r.messages.length, 1);
    const [plain] = visible(r.messages);
    assert.ok(plain.includes('line 1999 <level=info>'));
    assert.ok(!plain.includes('line 1979 '));
    assert.match(plain, /showing the last 20 of 2,000 lines; the whole output is in output\.txt/);
    assert.equal(r.documents.length, 1);
    const doc = r.documents[0];
    assert.equal(doc.name, 'output.txt');
    assert.equal(doc.content.toString('utf8'), lines.join('\n') + '\n');
    assert.equal(parseHtml(doc.caption), 'output.txt: 2,000 lines');
  });

  it('a big table moves to a document with the first rows shown', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => [`demo`, `pod-${i}`, '1/1', 'Running']);
    const r = renderTelegramReply({ status: 'ok', blocks: [{ kind: 'table', columns: ['NAMESPACE', 'NAME', 'READY', 'STATUS'], rows }] });
    assert.equal(r.messages.length, 1);
    const [plain] = visible(r.messages);
    assert.ok(plain.includes('pod-19 '));
    assert.ok(!plain.includes('pod-20 '));
    assert.match(plain, /showing 20 of 1,000 rows; all of them are in output\.txt/);
    assert.equal(r.documents[0].content.toString().split('\n').length, 1002);
  });

  it('a file reply is a document; a title and notes alone ride on it as the caption', () => {
    const content = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n');
    const r = renderTelegramReply({ status: 'ok', title: 'Logs of <crashloop> (previous)', blocks: [], file: { name: 'crashloop.log', content }, notes: ['500 lines'] });
    assert.deepEqual(r.messages, []);
    assert.equal(r.documents.length, 1);
    assert.equal(r.documents[0].name, 'crashloop.log');
    assert.equal(r.documents[0].content.toString(), content);
    assert.equal(r.documents[0].caption, '<b>Logs of &lt;crashloop&gt; (previous)</b>\n<i>500 lines</i>');

    // with blocks as well: the message first, the document says what it is
    const both = renderTelegramReply({ status: 'ok', title: 'Logs', blocks: [{ kind: 'code', text: 'line 498\nline 499' }], file: { name: 'crashloop.log', content } });
    assert.deepEqual(visible(both.messages), ['Logs\n\nline 498\nline 499']);
    assert.equal(parseHtml(both.documents[0].caption), 'crashloop.log: 500 lines');
  });

  it('a caption is kept within 1,024 characters', () => {
    const long = renderTelegramReply({ status: 'ok', title: 't'.repeat(3000), blocks: [], file: { name: 'x.log', content: 'a' } });
    // a title too long for a caption is a message of its own
    assert.equal(visible(long.messages)[0], 't'.repeat(3000));
    const r = renderTelegramReply({ status: 'ok', title: 'x', blocks: [{ kind: 'text', text: 'y' }], file: { name: `${'n'.repeat(2000)}.log`, content: 'a' } });
    const caption = parseHtml(r.documents[0].caption);
    assert.ok(caption.length <= MAX_CAPTION);
    assert.ok(caption.endsWith('…'));
  });

  it('actions become an inline keyboard on the last message, two buttons a row, callback_data within 64 bytes', () => {
    const r = renderTelegramReply({
      status: 'pending',
      title: 'Scale deployment web to 3?',
      blocks: [],
      actions: [
        { id: 'confirm', label: 'Scale', style: 'primary', value: 'a1b2c3' },
        { id: 'cancel', label: 'Cancel', value: 'a1b2c3' },
        { id: 'approve', label: 'Approve', value: 'x'.repeat(100) },
      ],
    });
    assert.equal(r.messages.length, 1);
    assert.deepEqual(r.messages[0].reply_markup, {
      inline_keyboard: [
        [
          { text: 'Scale', callback_data: '7:confirma1b2c3' },
          { text: 'Cancel', callback_data: '6:cancela1b2c3' },
        ],
      ],
    });
    // the button whose data cannot fit is left out, and that is said
    assert.match(parseHtml(r.messages[0].text), /The button "Approve" could not be shown\./);

    const mapped = renderTelegramReply({ status: 'pending', blocks: [{ kind: 'text', text: 'x' }], actions: [{ id: 'approve', label: 'Approve', value: 'x'.repeat(100) }] }, { callbackData: () => '~k1' });
    assert.deepEqual(mapped.messages[0].reply_markup, { inline_keyboard: [[{ text: 'Approve', callback_data: '~k1' }]] });
  });

  it('callback data round-trips, whatever the id and value hold', () => {
    for (const [id, value] of [
      ['confirm', 'abc'],
      ['a:b', ':1:2'],
      ['x', ''],
      ['12', '34'],
    ]) {
      assert.deepEqual(decodeCallbackData(encodeCallbackData(id, value)), { id, value });
    }
    assert.equal(decodeCallbackData('garbage'), undefined);
    assert.equal(decodeCallbackData('9:abc'), undefined);
    assert.equal(decodeCallbackData('0:abc'), undefined);
  });

  it('an empty reply still says something', () => {
    const r = renderTelegramReply({ status: 'ok', blocks: [] });
    assert.deepEqual(visible(r.messages), ['no output']);
  });

  it('many small parts beyond three messages: the rest goes to one document, with a note', () => {
    const blocks = Array.from({ length: 40 }, (_, i) => ({ kind: 'fields' as const, fields: Array.from({ length: 15 }, (_, j) => ({ label: `f${i}.${j}`, value: 'v'.repeat(20) })) }));
    const r = renderTelegramReply({ status: 'ok', blocks });
    assert.ok(r.messages.length <= 3);
    visible(r.messages);
    assert.ok(r.documents.length >= 1);
    const all = r.documents.map((d) => d.content.toString()).join('\n');
    assert.ok(all.includes('f39.14: '));
  });
});
