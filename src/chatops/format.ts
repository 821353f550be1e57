// Pure text helpers for command replies: ages the way kubectl prints them,
// aligned tables, kubectl-describe-like key/value text, and the rules that
// keep a reply small (at most so many rows or lines in the message, the
// whole thing as a file, and a note saying so). No I/O.

import { humanDuration } from '../model/duration.ts';
import type { ChatReply, ReplyBlock } from './types.ts';

export { humanDuration };

/** How one platform renders each kind of reply block. */
export interface BlockRenderer<P> {
  text(text: string): P;
  code(text: string): P;
  table(columns: string[], rows: string[][]): P;
  fields(fields: { label: string; value: string }[]): P;
}

/** A reply's blocks as one platform's pieces; a blank text or an empty fields block shows nothing. */
export function renderBlocks<P>(blocks: readonly ReplyBlock[], r: BlockRenderer<P>): P[] {
  return blocks.flatMap((b): P[] => {
    switch (b.kind) {
      case 'text':
        return b.text.trim() === '' ? [] : [r.text(b.text)];
      case 'code':
        return [r.code(b.text)];
      case 'table':
        return [r.table(b.columns, b.rows)];
      case 'fields':
        return b.fields.length ? [r.fields(b.fields)] : [];
    }
  });
}

export type Timestamp = Date | string | undefined | null;

export function toMs(t: Timestamp): number | undefined {
  if (t === undefined || t === null || t === '') return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The AGE column: how long ago `t` was, or `<unknown>` as kubectl prints a missing time. */
export function age(t: Timestamp, now: Date): string {
  const ms = toMs(t);
  return ms === undefined ? '<unknown>' : humanDuration(now.getTime() - ms);
}

/** RFC 3339 to the second, as kubectl describe prints times. */
export function rfc3339(t: Timestamp): string {
  const ms = toMs(t);
  return ms === undefined ? '<unknown>' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** 1000 → `1,000` */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** kubectl's table layout: left-aligned columns three spaces apart, the last one unpadded. */
export function renderTable(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('   ')
      .trimEnd();
  return [line(columns), ...rows.map(line)].join('\n');
}

export interface ListReplyOptions {
  /** what the rows are, plural: `pods`, `events` */
  noun: string;
  /** the file name of the whole table (`pods.txt`) */
  fileName: string;
  /** rows shown in the message; the default suits Slack and Telegram */
  maxRows?: number;
  /** keep the last rows instead of the first (events: the newest are last) */
  keepLast?: boolean;
  title?: string;
}

export const MAX_TABLE_ROWS = 50;

/** A table reply: all rows when few, else the first (or last) `maxRows` and the whole table as a file, with a note. */
export function tableReply(columns: string[], rows: string[][], o: ListReplyOptions): ChatReply {
  const max = o.maxRows ?? MAX_TABLE_ROWS;
  const reply: ChatReply = { status: 'ok', blocks: [] };
  if (o.title) reply.title = o.title;
  if (rows.length <= max) {
    reply.blocks.push({ kind: 'table', columns, rows });
    return reply;
  }
  const shown = o.keepLast ? rows.slice(-max) : rows.slice(0, max);
  reply.blocks.push({ kind: 'table', columns, rows: shown });
  reply.file = { name: o.fileName, content: `${renderTable(columns, rows)}\n` };
  const which = o.keepLast ? `the last ${count(max)}` : count(max);
  reply.notes = [`showing ${which} of ${count(rows.length)} ${o.noun}; full list attached`];
  return reply;
}

/** A message's worth of text: at most this many lines or characters, else a file. */
export const MAX_MESSAGE_LINES = 40;
export const MAX_MESSAGE_CHARS = 3000;
/** how much of a long log the message previews */
export const PREVIEW_LINES = 20;

export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function fitsMessage(text: string): boolean {
  return text.length <= MAX_MESSAGE_CHARS && splitLines(text).length <= MAX_MESSAGE_LINES;
}

/**
 * The last lines of `text` that fit a message preview: at most `PREVIEW_LINES`
 * lines and `MAX_MESSAGE_CHARS` characters (a single huge line is cut from
 * its start, keeping its end).
 */
export function tailPreview(text: string, maxLines = PREVIEW_LINES, maxChars = MAX_MESSAGE_CHARS): string {
  const lines = splitLines(text).slice(-maxLines);
  const kept: string[] = [];
  let size = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const add = lines[i].length + (kept.length ? 1 : 0);
    if (size + add > maxChars) {
      if (kept.length === 0) kept.unshift(`…${lines[i].slice(-(maxChars - 1))}`);
      break;
    }
    kept.unshift(lines[i]);
    size += add;
  }
  return kept.join('\n');
}

/** The start of `text` that fits a message (for describe output, which reads top-down). */
export function headPreview(text: string, maxLines = MAX_MESSAGE_LINES, maxChars = MAX_MESSAGE_CHARS): string {
  const lines = splitLines(text).slice(0, maxLines);
  const kept: string[] = [];
  let size = 0;
  for (const l of lines) {
    const add = l.length + (kept.length ? 1 : 0);
    if (size + add > maxChars) {
      if (kept.length === 0) kept.push(`${l.slice(0, maxChars - 1)}…`);
      break;
    }
    kept.push(l);
    size += add;
  }
  return kept.join('\n');
}

/** Long text as a code block when it fits, else a preview, the whole text as `fileName` and a note. */
export function textReply(text: string, o: { fileName: string; title?: string; keep: 'head' | 'tail'; noun: string }): ChatReply {
  const reply: ChatReply = { status: 'ok', blocks: [] };
  if (o.title) reply.title = o.title;
  if (fitsMessage(text)) {
    reply.blocks.push({ kind: 'code', text: text.replace(/\n$/, '') });
    return reply;
  }
  const preview = o.keep === 'tail' ? tailPreview(text) : headPreview(text);
  const shown = splitLines(preview).length;
  const total = splitLines(text).length;
  reply.blocks.push({ kind: 'code', text: preview });
  reply.file = { name: o.fileName, content: text.endsWith('\n') ? text : `${text}\n` };
  const which = o.keep === 'tail' ? `the last ${count(shown)}` : `the first ${count(shown)}`;
  reply.notes = [`showing ${which} of ${count(total)} ${o.noun}; the whole ${o.noun === 'lines' ? 'text' : o.noun} is attached as ${o.fileName}`];
  return reply;
}

// ---------------------------------------------------------------------------
// describe text

/** One line of describe output: `key: value` at an indent level, or a bare value. */
export interface DescribeLine {
  level: number;
  key?: string;
  value?: string;
}

/** Builds kubectl-describe-like text: keys aligned within each run of lines at the same level. */
export class DescribeWriter {
  #lines: DescribeLine[] = [];

  /** `Key:   value` (an empty value prints the key alone, as a heading) */
  kv(level: number, key: string, value?: string | number | boolean | null): this {
    this.#lines.push({ level, key, value: value === undefined || value === null ? '' : String(value) });
    return this;
  }

  /** a bare line (table rows, list items) */
  line(level: number, text: string): this {
    this.#lines.push({ level, value: text });
    return this;
  }

  /** `Labels:  a=b` then the rest aligned under the first, or `<none>`; annotations use `: ` */
  map(level: number, key: string, m: Record<string, string> | undefined, sep = '='): this {
    const entries = Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) return this.kv(level, key, '<none>');
    this.kv(level, key, `${entries[0][0]}${sep}${entries[0][1]}`);
    for (const [k, v] of entries.slice(1)) this.kv(level, '', `${k}${sep}${v}`);
    return this;
  }

  toString(): string {
    const out: string[] = [];
    let i = 0;
    while (i < this.#lines.length) {
      // a run: consecutive keyed lines at one level; its values line up
      let j = i;
      const lvl = this.#lines[i].level;
      while (j < this.#lines.length && this.#lines[j].key !== undefined && this.#lines[j].level === lvl) j++;
      if (j === i) {
        const l = this.#lines[i];
        out.push(`${'  '.repeat(l.level)}${l.value ?? ''}`.trimEnd());
        i++;
        continue;
      }
      const run = this.#lines.slice(i, j);
      const width = Math.max(...run.map((l) => (l.key ? l.key.length + 1 : 0)));
      for (const l of run) {
        const label = l.key ? `${l.key}:` : '';
        const indent = '  '.repeat(l.level);
        if (!l.value) {
          out.push(`${indent}${label}`.trimEnd());
          continue;
        }
        // a multi-line value (a termination message) continues under its first line
        const [first, ...rest] = l.value.split('\n');
        out.push(`${indent}${label.padEnd(width)}  ${first}`.trimEnd());
        const under = ' '.repeat(indent.length + width + 2);
        for (const r of rest) out.push(`${under}${r}`.trimEnd());
      }
      i = j;
    }
    return `${out.join('\n')}\n`;
  }
}

/** A one-block reply. */
export function simpleReply(status: ChatReply['status'], title: string, blocks: ReplyBlock[] = []): ChatReply {
  return { status, title, blocks };
}
