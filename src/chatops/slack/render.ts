// A ChatReply as a Slack message: a short `text` (what notifications and
// screen readers show) and Block Kit blocks that carry everything. Slack
// refuses a message over its limits outright, so the renderer keeps to them:
// long text and code are split across sections, and what still does not fit
// moves to a file the adapter uploads next to the message, with a note saying
// so. Nothing is cut without a note. Pure: no I/O.

import { renderBlocks } from '../format.ts';
import type { ChatReply, ReplyAction } from '../types.ts';

/** Slack's documented limits for a message and its blocks. */
const LIMIT = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  /** Slack cuts a message's text at 40,000 characters; we hold the blocks' text to the same, so a reply stays readable */
  messageText: 40_000,
  /** the fallback `text` is a one-line summary; the blocks carry the reply */
  fallback: 300,
};

/** How much of an output that moved to a file stays in the message. */
const PREVIEW_LINES = 20;

export interface SlackText {
  type: 'mrkdwn' | 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface SlackButton {
  type: 'button';
  action_id: string;
  text: SlackText;
  value: string;
  style?: 'primary' | 'danger';
}

export type SlackBlock =
  | { type: 'section'; text: SlackText }
  | { type: 'section'; fields: SlackText[] }
  | { type: 'context'; elements: SlackText[] }
  | { type: 'actions'; elements: SlackButton[] };

export interface SlackFile {
  name: string;
  content: string;
}

export interface SlackMessage {
  /** the notification/fallback text; the blocks are the message */
  text: string;
  blocks: SlackBlock[];
  /** uploaded with the message (files.uploadV2): the reply's own file and any output too long for blocks */
  files: SlackFile[];
}

export interface RenderOptions {
  /** a slash command's reply is posted in the channel for all to see: say who ran what (a Slack user id) */
  mentionUser?: string;
  /** the command as typed, shown with mentionUser (`/kube pods -n demo`) */
  command?: string;
}

/** Escapes what Slack's mrkdwn treats as markup: &, <, >. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A triple backtick inside a code block would end it; a zero-width space between the backticks keeps it literal-looking. */
function fence(s: string): string {
  return s.replace(/```/g, '`\u200b`\u200b`');
}

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * Splits raw text into pieces whose escaped (and wrapped) form fits `max`,
 * at line breaks where possible; a single over-long line is split mid-line.
 * `overhead` is what the wrapper adds (code fences).
 */
function chunks(raw: string, max: number, overhead = 0, transform: (s: string) => string = esc): string[] {
  const room = max - overhead;
  const out: string[] = [];
  let cur: string[] = [];
  let curLen = 0;
  const flush = (): void => {
    if (cur.length) out.push(cur.join('\n'));
    cur = [];
    curLen = 0;
  };
  for (const line of raw.split('\n')) {
    const len = transform(line).length;
    if (len > room) {
      flush();
      // hard split by code points, measuring the escaped size as we go
      let piece = '';
      let pieceLen = 0;
      for (const ch of line) {
        const l = transform(ch).length;
        if (pieceLen + l > room) {
          out.push(piece);
          piece = '';
          pieceLen = 0;
        }
        piece += ch;
        pieceLen += l;
      }
      cur = [piece];
      curLen = pieceLen;
      continue;
    }
    const add = (cur.length ? 1 : 0) + len;
    if (curLen + add > room) flush();
    curLen += (cur.length ? 1 : 0) + len;
    cur.push(line);
  }
  flush();
  return out;
}

const mrkdwn = (text: string): SlackText => ({ type: 'mrkdwn', text });
const section = (text: string): SlackBlock => ({ type: 'section', text: mrkdwn(text) });

function codeSections(raw: string): SlackBlock[] {
  const body = fence(raw.replace(/\s+$/, ''));
  if (body === '') return [section('_no output_')];
  return chunks(body, LIMIT.sectionText, 8).map((c) => section('```\n' + esc(c) + '\n```'));
}

/** A kubectl-style table: columns padded to the widest cell, three spaces apart. */
function formatTable(columns: string[], rows: string[][]): string {
  const clean = (s: string | undefined): string => (s ?? '').replace(/[\r\n\t]+/g, ' ');
  const all = [columns.map(clean), ...rows.map((r) => columns.map((_, i) => clean(r[i])))];
  const widths = columns.map((_, i) => Math.max(...all.map((r) => [...r[i]].length)));
  return all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i] - [...cell].length))).join('   ').trimEnd()).join('\n');
}

/** One ReplyBlock's rendering, and what it becomes when it must move to a file. */
interface Piece {
  blocks: SlackBlock[];
  /** the plain text a file gets */
  plain: string;
  /** a one-block stand-in and the note that explains it */
  preview(file: string): { block: SlackBlock; note: string };
}

function textPiece(text: string): Piece {
  const parts = chunks(text, LIMIT.sectionText);
  return {
    blocks: parts.map((p) => section(esc(p))),
    plain: text,
    preview: (file) => ({ block: section(esc(parts[0])), note: `The text continues in ${file}.` }),
  };
}

function codePiece(text: string): Piece {
  const lines = text.replace(/\s+$/, '').split('\n');
  return {
    blocks: codeSections(text),
    plain: text,
    preview(file) {
      // logs: the newest lines are the ones people look for
      const tail = lines.slice(-PREVIEW_LINES).join('\n');
      const fitted = chunks(fence(tail), LIMIT.sectionText, 8);
      const shown = fitted[fitted.length - 1] ?? '';
      const n = shown === '' ? 0 : shown.split('\n').length;
      return { block: section('```\n' + esc(shown) + '\n```'), note: `Too long for a Slack message: showing the last ${count(n)} of ${count(lines.length)} lines; the whole output is in ${file}.` };
    },
  };
}

function tablePiece(columns: string[], rows: string[][]): Piece {
  const text = formatTable(columns, rows);
  return {
    blocks: codeSections(text),
    plain: text,
    preview(file) {
      const head = text.split('\n').slice(0, PREVIEW_LINES + 1).join('\n');
      const shown = chunks(fence(head), LIMIT.sectionText, 8)[0] ?? '';
      const n = Math.max(0, shown.split('\n').length - 1);
      return { block: section('```\n' + esc(shown) + '\n```'), note: `Too long for a Slack message: showing ${count(n)} of ${count(rows.length)} rows; all of them are in ${file}.` };
    },
  };
}

function fieldsPiece(fields: { label: string; value: string }[]): Piece {
  const plain = fields.map((f) => `${f.label}: ${f.value}`).join('\n');
  const blocks: SlackBlock[] = [];
  let row: SlackText[] = [];
  const flush = (): void => {
    if (row.length) blocks.push({ type: 'section', fields: row });
    row = [];
  };
  for (const f of fields) {
    const text = `*${esc(f.label)}*\n${esc(f.value)}`;
    if (text.length > LIMIT.fieldText) {
      // too long for a field: its own sections, in order
      flush();
      blocks.push(...chunks(`*${f.label}*\n${f.value}`, LIMIT.sectionText).map((c) => section(esc(c))));
      continue;
    }
    row.push(mrkdwn(text));
    if (row.length === LIMIT.fields) flush();
  }
  flush();
  return {
    blocks,
    plain,
    preview: (file) => ({ block: blocks[0], note: `More fields than fit in a Slack message: all of them are in ${file}.` }),
  };
}

function button(a: ReplyAction): SlackButton {
  const label = [...a.label];
  return {
    type: 'button',
    action_id: a.id,
    // a label is a few words; Slack refuses a longer one, so an ellipsis marks the cut
    text: { type: 'plain_text', text: label.length > LIMIT.buttonText ? label.slice(0, LIMIT.buttonText - 1).join('') + '…' : a.label, emoji: true },
    value: a.value,
    ...(a.style ? { style: a.style } : {}),
  };
}

function actionBlocks(actions: ReplyAction[]): SlackBlock[] {
  const out: SlackBlock[] = [];
  for (let i = 0; i < actions.length; i += LIMIT.actionsElements) out.push({ type: 'actions', elements: actions.slice(i, i + LIMIT.actionsElements).map(button) });
  return out;
}

/** Notes as one context block: at most 10 elements of at most 3,000 characters. */
function notesBlock(notes: string[]): SlackBlock | undefined {
  const parts = notes.filter((n) => n.trim() !== '').flatMap((n) => chunks(n, LIMIT.contextText));
  if (!parts.length) return undefined;
  const elements: string[] = [];
  for (const p of parts) {
    const last = elements.length - 1;
    if (elements.length < LIMIT.contextElements) elements.push(p);
    else if (esc(elements[last] + '\n' + p).length <= LIMIT.contextText) elements[last] += '\n' + p;
    // beyond ten full elements of notes there is nothing sensible left to say in a message
  }
  return { type: 'context', elements: elements.map((e) => mrkdwn(esc(e))) };
}

function blockChars(b: SlackBlock): number {
  if ('text' in b) return b.text.text.length;
  if ('fields' in b) return b.fields.reduce((n, f) => n + f.text.length, 0);
  return 0;
}

function fallbackText(reply: ChatReply): string {
  const first = reply.title ?? reply.blocks.map((b) => (b.kind === 'text' || b.kind === 'code' ? b.text : '')).find((t) => t.trim() !== '') ?? `kubeherald: ${reply.status}`;
  const line = first.trim().split('\n')[0];
  const chars = [...line];
  return esc(chars.length > LIMIT.fallback ? chars.slice(0, LIMIT.fallback - 1).join('') + '…' : line);
}

/** Renders a reply as a Slack message that Slack accepts: ≤ 50 blocks, each within its limits. */
export function renderSlackReply(reply: ChatReply, opts: RenderOptions = {}): SlackMessage {
  const head: SlackBlock[] = [];
  const notes = [...(reply.notes ?? [])];
  const files: SlackFile[] = reply.file ? [{ name: reply.file.name, content: reply.file.content }] : [];

  if (opts.mentionUser && /^[UW][A-Z0-9]+$/.test(opts.mentionUser)) {
    // the command as typed is echoed, not output: an over-long one (it will not parse anyway) is shortened with an ellipsis
    const typed = opts.command ? chunks(fence(opts.command.replace(/\s+/g, ' ')), LIMIT.contextText, 40) : [];
    const cmd = typed.length ? ` ran \`${esc(typed[0])}${typed.length > 1 ? '…' : ''}\`` : '';
    head.push({ type: 'context', elements: [mrkdwn(`<@${opts.mentionUser}>${cmd}`)] });
  }
  const body = renderBlocks(reply.blocks, { text: textPiece, code: codePiece, table: tablePiece, fields: fieldsPiece });
  if (reply.title && reply.title.trim() !== '') {
    const [first, ...rest] = chunks(reply.title.replace(/\s*\n\s*/g, ' '), LIMIT.sectionText, 2);
    head.push(section(`*${esc(first)}*`));
    // a title is one line; one longer than a section still shows in full, below
    if (rest.length) body.unshift(textPiece(rest.join('')));
  }
  const tail = actionBlocks(reply.actions ?? []);
  // one block is kept for the notes, which overflow itself may add
  const budget = LIMIT.blocks - head.length - tail.length - 1;

  const moved = new Set<Piece>();
  let generated = 0;
  const fileFor = (p: Piece): string => {
    // the reply's own file (a whole log) already holds it: point there rather than upload it twice
    if (reply.file && reply.file.content.includes(p.plain)) return reply.file.name;
    generated++;
    const name = generated === 1 ? 'output.txt' : `output-${generated}.txt`;
    files.push({ name, content: p.plain });
    return name;
  };
  const size = (): number => body.reduce((n, p) => n + (moved.has(p) ? 1 : p.blocks.length), 0);
  const chars = (): number => body.reduce((n, p) => n + (moved.has(p) ? LIMIT.sectionText : p.blocks.reduce((m, b) => m + blockChars(b), 0)), 0);
  const previews = new Map<Piece, SlackBlock>();
  // the largest outputs go to a file first: that frees the most room and keeps short answers inline
  while (size() > budget || chars() > LIMIT.messageText) {
    const biggest = body.filter((p) => !moved.has(p) && p.blocks.length > 1).sort((a, b) => b.blocks.length - a.blocks.length)[0];
    if (!biggest) break;
    moved.add(biggest);
    const { block, note } = biggest.preview(fileFor(biggest));
    previews.set(biggest, block);
    notes.push(note);
  }
  const shown = (p: Piece): SlackBlock[] => {
    const preview = previews.get(p);
    return preview ? [preview] : p.blocks;
  };
  let blocks = body.flatMap(shown);
  if (blocks.length > budget) {
    // more separate parts than blocks: keep the first ones in order, the rest of the reply goes to one file
    const kept: Piece[] = [];
    let used = 0;
    for (const p of body) {
      if (used + shown(p).length > budget - 1) break;
      kept.push(p);
      used += shown(p).length;
    }
    const rest = body.slice(kept.length);
    const name = fileFor({ plain: rest.map((p) => p.plain).join('\n\n'), blocks: [], preview: () => ({ block: section(' '), note: '' }) });
    blocks = [...kept.flatMap(shown), section(`_${count(rest.length)} more part(s) of this reply are in ${esc(name)}._`)];
    notes.push(`The reply has more parts than a Slack message holds; the rest is in ${name}.`);
  }
  const notesB = notesBlock(notes);
  return {
    text: fallbackText(reply),
    blocks: [...head, ...blocks, ...(notesB ? [notesB] : []), ...tail],
    files,
  };
}
