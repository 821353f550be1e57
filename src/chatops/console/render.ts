// A reply as a terminal shows it: plain text, tables as aligned columns,
// long output in full (a terminal has no message limit, so an attached file
// is printed rather than uploaded). Pure.

import type { ChatReply, ReplyAction, ReplyBlock } from '../types.ts';

/** What to type for a button: a request's buttons are `confirm <id>`, `approve <id> [reason]` …; others carry their command. */
function typedAction(a: ReplyAction): string {
  const m = /^request\.(confirm|cancel|approve|deny)$/.exec(a.id);
  if (!m) return a.value;
  return m[1] === 'approve' || m[1] === 'deny' ? `${m[1]} ${a.value} [reason]` : `${m[1]} ${a.value}`;
}

/** Columns padded to their widest cell, two spaces apart, as kubectl prints them. */
export function alignTable(columns: string[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('   ')
      .trimEnd();
  return [line(columns), ...rows.map(line)].join('\n');
}

function block(b: ReplyBlock): string {
  switch (b.kind) {
    case 'text':
    case 'code':
      return b.text;
    case 'table':
      return alignTable(b.columns, b.rows);
    case 'fields': {
      const width = Math.max(...b.fields.map((f) => f.label.length));
      return b.fields.map((f) => `${`${f.label}:`.padEnd(width + 1)} ${f.value}`).join('\n');
    }
  }
}

const MARK: Record<ChatReply['status'], string> = { ok: '', pending: '', denied: 'denied: ', invalid: 'error: ', error: 'error: ' };

export function renderConsoleReply(reply: ChatReply): string {
  const parts: string[] = [];
  if (reply.title) parts.push(`${MARK[reply.status]}${reply.title}`);
  // the file holds the whole output; the blocks only a preview of it
  if (reply.file) parts.push(reply.file.content.replace(/\n$/, ''));
  else for (const b of reply.blocks) parts.push(block(b));
  const notes = reply.file ? (reply.notes ?? []).filter((n) => !/attach/i.test(n)) : (reply.notes ?? []);
  for (const n of notes) parts.push(`note: ${n}`);
  for (const a of reply.actions ?? []) parts.push(`[${a.label}] type: ${typedAction(a)}`);
  return `${parts.filter((p) => p !== '').join('\n')}\n`;
}
