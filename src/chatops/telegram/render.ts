// A ChatReply as Telegram messages in parse_mode HTML. Telegram refuses a
// message over 4,096 characters (counted after entity parsing) and a caption
// over 1,024, so the renderer keeps to them: a long reply is split into a few
// messages at line boundaries (a <pre> closed before a split and opened again
// after it, never cut inside a tag), each marked "part i of n"; what would
// take more messages than a chat should get moves to a document with a
// preview and a note. Nothing is cut without a note. Pure: no I/O.

import { renderBlocks } from '../format.ts';
import type { ChatReply, ReplyAction } from '../types.ts';

/** The Bot API's documented limits. */
const LIMIT = {
  /** sendMessage text, after entity parsing */
  text: 4096,
  /** sendDocument caption, after entity parsing */
  caption: 1024,
  /** InlineKeyboardButton.callback_data, in bytes */
  callbackData: 64,
};

/** Room kept in every message for the "part i of n" line. */
const FOOTER_ROOM = 32;
/** How much of an output that moved to a document stays in the message. */
const PREVIEW_LINES = 20;
/** Buttons per keyboard row: two keep labels readable on a phone. */
const ROW = 2;

export interface InlineKeyboardButton {
  text: string;
  callback_data: string;
}

export interface InlineKeyboardMarkup {
  inline_keyboard: InlineKeyboardButton[][];
}

export interface TelegramText {
  text: string;
  parse_mode: 'HTML';
  reply_markup?: InlineKeyboardMarkup;
}

export interface TelegramDocument {
  /** the file name shown in the chat */
  name: string;
  content: Buffer;
  /** HTML, at most 1,024 characters after parsing; may be empty */
  caption: string;
  parse_mode: 'HTML';
  reply_markup?: InlineKeyboardMarkup;
}

/** What the adapter sends, in order: the messages, then the documents. The keyboard rides on the last of them. */
export interface TelegramRender {
  messages: TelegramText[];
  documents: TelegramDocument[];
}

export interface TelegramRenderOptions {
  /**
   * The callback_data of a button (at most 64 bytes). The adapter maps long
   * ones to short keys it keeps; the default encodes `id` and `value`
   * directly and leaves out, with a note, a button whose data would not fit.
   */
  callbackData?: (action: ReplyAction) => string | undefined;
  /** at most this many messages per reply before output moves to a document (default 3) */
  maxMessages?: number;
  /** the text limit (tests); default 4,096 */
  maxChars?: number;
}

/** Escapes what Telegram's HTML parse mode treats as markup: &, <, >. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const count = (n: number): string => n.toLocaleString('en-US');

/** `<id length>:<id><value>`: unambiguous whatever either holds. */
export function encodeCallbackData(id: string, value: string): string {
  return `${id.length}:${id}${value}`;
}

/** The inverse of encodeCallbackData; undefined for anything it did not make. */
export function decodeCallbackData(data: string): { id: string; value: string } | undefined {
  const m = /^(\d{1,2}):/.exec(data);
  if (!m) return undefined;
  const n = Number(m[1]);
  const rest = data.slice(m[0].length);
  if (n < 1 || n > rest.length) return undefined;
  return { id: rest.slice(0, n), value: rest.slice(n) };
}

const fitsCallbackData = (s: string): boolean => s.length > 0 && Buffer.byteLength(s) <= LIMIT.callbackData;

/** One line of a message, as plain text; the style wraps it in a tag. */
interface Line {
  text: string;
  style?: 'b' | 'i';
}

/** One ReplyBlock's lines, and what it becomes when it moves to a document. */
interface Piece {
  lines: Line[];
  /** shown in <pre> */
  pre: boolean;
  /** the plain text a document gets */
  plain: string;
  preview?(file: string): { piece: Piece; note: string };
}

const plainLines = (text: string): Line[] => text.split('\n').map((t) => ({ text: t.replace(/\r$/, '') }));

function textPiece(text: string): Piece {
  const lines = plainLines(text.replace(/\s+$/, ''));
  return {
    lines,
    pre: false,
    plain: text,
    preview: (file) => ({
      piece: { lines: lines.slice(0, PREVIEW_LINES), pre: false, plain: '' },
      note: `The text continues in ${file}.`,
    }),
  };
}

function codePiece(text: string): Piece {
  const body = text.replace(/\s+$/, '');
  const lines = body === '' ? [] : plainLines(body);
  if (!lines.length) return { lines: [{ text: 'no output', style: 'i' }], pre: false, plain: '' };
  return {
    lines,
    pre: true,
    plain: body,
    preview(file) {
      // logs: the newest lines are the ones people look for
      const shown = lines.slice(-PREVIEW_LINES);
      return {
        piece: { lines: shown, pre: true, plain: '' },
        note: `Too long for Telegram: showing the last ${count(shown.length)} of ${count(lines.length)} lines; the whole output is in ${file}.`,
      };
    },
  };
}

/** A kubectl-style table: columns padded to the widest cell, three spaces apart. */
function formatTable(columns: string[], rows: string[][]): string[] {
  const clean = (s: string | undefined): string => (s ?? '').replace(/[\r\n\t]+/g, ' ');
  const all = [columns.map(clean), ...rows.map((r) => columns.map((_, i) => clean(r[i])))];
  const widths = columns.map((_, i) => Math.max(...all.map((r) => [...r[i]].length)));
  return all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i] - [...cell].length))).join('   ').trimEnd());
}

function tablePiece(columns: string[], rows: string[][]): Piece {
  const text = formatTable(columns, rows);
  return {
    lines: text.map((t) => ({ text: t })),
    pre: true,
    plain: text.join('\n'),
    preview(file) {
      const shown = text.slice(0, PREVIEW_LINES + 1);
      return {
        piece: { lines: shown.map((t) => ({ text: t })), pre: true, plain: '' },
        note: `Too long for Telegram: showing ${count(shown.length - 1)} of ${count(rows.length)} rows; all of them are in ${file}.`,
      };
    },
  };
}

function fieldsPiece(fields: { label: string; value: string }[]): Piece {
  const plain = fields.map((f) => `${f.label}: ${f.value}`).join('\n');
  return {
    lines: plainLines(plain),
    pre: false,
    plain,
    preview: (file) => ({
      piece: { lines: plainLines(plain).slice(0, PREVIEW_LINES), pre: false, plain: '' },
      note: `More fields than fit in a Telegram message: all of them are in ${file}.`,
    }),
  };
}

const size = (p: Piece): number => p.lines.reduce((n, l) => n + l.text.length + 1, 0);

/** Splits a string into pieces of at most `max` UTF-16 units, never inside a surrogate pair. */
function hardSplit(s: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of s) {
    if (cur.length + ch.length > max) {
      out.push(cur);
      cur = '';
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}

const wrap = (l: Line): string => (l.style ? `<${l.style}>${escapeHtml(l.text)}</${l.style}>` : escapeHtml(l.text));

/**
 * Packs pieces into messages of at most `budget` characters after parsing:
 * a blank line between pieces, a split only between lines (or inside a line
 * longer than a whole message), a <pre> closed before a split and reopened.
 */
function pack(pieces: Piece[], budget: number): string[] {
  const out: string[] = [];
  let html = '';
  let len = 0;
  let inPre = false;
  const flush = (): void => {
    if (inPre) html += '</pre>';
    inPre = false;
    if (len > 0 && html.trim() !== '') out.push(html);
    html = '';
    len = 0;
  };
  for (const p of pieces) {
    let first = true;
    for (const line of p.lines) {
      for (const text of hardSplit(line.text, budget)) {
        const l: Line = { text, ...(line.style ? { style: line.style } : {}) };
        const sep = len === 0 ? 0 : first ? 2 : 1;
        if (len > 0 && len + sep + text.length > budget) flush();
        // a message does not start with a blank line
        if (len === 0 && text.trim() === '' && !p.pre) continue;
        if (len > 0) {
          if (first) {
            if (inPre) html += '</pre>';
            inPre = false;
            html += '\n\n';
            len += 2;
          } else {
            html += '\n';
            len += 1;
          }
        }
        if (p.pre && !inPre) {
          html += '<pre>';
          inPre = true;
        }
        html += wrap(l);
        len += text.length;
        first = false;
      }
    }
    if (inPre) html += '</pre>';
    inPre = false;
  }
  flush();
  return out;
}

function keyboard(actions: ReplyAction[], data: (a: ReplyAction) => string | undefined, notes: string[]): InlineKeyboardMarkup | undefined {
  const buttons: InlineKeyboardButton[] = [];
  for (const a of actions) {
    const d = data(a);
    if (d === undefined || !fitsCallbackData(d)) {
      notes.push(`The button "${a.label}" could not be shown.`);
      continue;
    }
    buttons.push({ text: a.label, callback_data: d });
  }
  if (!buttons.length) return undefined;
  const rows: InlineKeyboardButton[][] = [];
  for (let i = 0; i < buttons.length; i += ROW) rows.push(buttons.slice(i, i + ROW));
  return { inline_keyboard: rows };
}

/** A caption within 1,024 characters after parsing: the plain text is cut with an ellipsis before it is marked up. */
function caption(parts: Line[]): string {
  let room = LIMIT.caption;
  const out: string[] = [];
  for (const l of parts) {
    if (room <= 1) break;
    const cut = l.text.length > room - 1 ? hardSplit(l.text, room - 2)[0] + '…' : l.text;
    out.push(wrap({ ...l, text: cut }));
    room -= cut.length + 1;
  }
  return out.join('\n');
}

const lineCount = (s: string): number => (s === '' ? 0 : s.replace(/\n$/, '').split('\n').length);

/** Renders a reply as messages (and documents) Telegram accepts. */
export function renderTelegramReply(reply: ChatReply, opts: TelegramRenderOptions = {}): TelegramRender {
  const maxChars = opts.maxChars ?? LIMIT.text;
  const maxMessages = Math.max(1, opts.maxMessages ?? 3);
  const budget = maxChars - FOOTER_ROOM;
  const notes = (reply.notes ?? []).filter((n) => n.trim() !== '');
  const files: { name: string; content: string }[] = reply.file ? [{ name: reply.file.name, content: reply.file.content }] : [];
  const markup = keyboard(reply.actions ?? [], opts.callbackData ?? ((a) => encodeCallbackData(a.id, a.value)), notes);

  const title: Line[] = reply.title && reply.title.trim() !== '' ? [{ text: reply.title.replace(/\s*\n\s*/g, ' ').trim(), style: 'b' }] : [];
  const body = renderBlocks(reply.blocks, { text: textPiece, code: codePiece, table: tablePiece, fields: fieldsPiece });

  const fileFor = (p: Piece): string => {
    if (reply.file && reply.file.content.includes(p.plain)) return reply.file.name;
    const name = files.some((f) => f.name === 'output.txt') ? `output-${files.length + 1}.txt` : 'output.txt';
    files.push({ name, content: p.plain.endsWith('\n') ? p.plain : p.plain + '\n' });
    return name;
  };
  const all = (): Piece[] => [
    ...(title.length ? [{ lines: title, pre: false, plain: '' }] : []),
    ...body,
    ...(notes.length ? [{ lines: notes.flatMap((n) => plainLines(n).map((l) => ({ ...l, style: 'i' as const }))), pre: false, plain: '' }] : []),
  ];

  // a title (and notes) over a file alone ride on the document as its caption: one post instead of two
  const headLines = [...title, ...notes.map((t) => ({ text: t, style: 'i' as const }))];
  const captionOnly = body.length === 0 && files.length > 0 && headLines.reduce((n, l) => n + l.text.length + 1, 0) <= LIMIT.caption;

  let messages = captionOnly ? [] : pack(all(), budget);
  // the largest outputs go to a document first: that frees the most room and keeps short answers inline
  while (messages.length > maxMessages) {
    const biggest = body.filter((p) => p.preview).sort((a, b) => size(b) - size(a))[0];
    if (!biggest || !biggest.preview) break;
    const { piece: preview, note } = biggest.preview(fileFor(biggest));
    body[body.indexOf(biggest)] = preview;
    notes.push(note);
    messages = pack(all(), budget);
  }
  if (messages.length > maxMessages) {
    // more separate parts than messages: the first ones stay, the rest of the reply goes to one document
    const text = all()
      .map((p) => p.lines.map((l) => l.text).join('\n'))
      .join('\n\n');
    const name = fileFor({ lines: [], pre: false, plain: text });
    const kept = messages.slice(0, maxMessages - 1);
    const note = pack([{ lines: [{ text: `The reply is longer than Telegram messages hold: ${count(messages.length - kept.length)} more part(s) are in ${name}.`, style: 'i' }], pre: false, plain: '' }], budget);
    messages = [...kept, ...note];
  }
  if (!messages.length && !files.length) messages = [wrap({ text: 'no output', style: 'i' })];

  const n = messages.length;
  const texts: TelegramText[] = messages.map((html, i) => ({ text: n > 1 ? `${html}\n\n<i>part ${i + 1} of ${n}</i>` : html, parse_mode: 'HTML' }));
  const documents: TelegramDocument[] = files.map((f) => {
    const lines = lineCount(f.content);
    // with no message before it the document carries the title and notes; else it says what it is
    const parts: Line[] = texts.length || !headLines.length ? [{ text: `${f.name}: ${count(lines)} line${lines === 1 ? '' : 's'}`, style: 'i' }] : headLines;
    return { name: f.name, content: Buffer.from(f.content, 'utf8'), caption: caption(parts), parse_mode: 'HTML' };
  });
  if (markup) {
    const last = documents[documents.length - 1] ?? texts[texts.length - 1];
    last.reply_markup = markup;
  }
  return { messages: texts, documents };
}
