// A deliberately tiny template language for receivers that want another
// body shape (or, in the Teams sink, links that carry the object's name):
// `{{ path.to.field }}` is replaced by that field of the data, escaped for
// where it goes. No expressions, helpers, loops or code: a template cannot do
// anything but copy fields.

export type TemplatePart = { text: string } | { path: string[] };

export interface Template {
  source: string;
  parts: TemplatePart[];
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Parses `text {{ a.b }} more`; throws a TemplateError saying where and what is wrong. */
export function parseTemplate(source: string): Template {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open < 0) {
      parts.push({ text: source.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: source.slice(i, open) });
    const close = source.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError(`"{{" at character ${open + 1} is never closed with "}}"`);
    const inner = source.slice(open + 2, close).trim();
    if (!PATH.test(inner)) {
      throw new TemplateError(`{{${source.slice(open + 2, close)}}} at character ${open + 1}: expected a field path such as {{involvedObject.name}} (letters, digits, "_", "-", separated by ".")`);
    }
    parts.push({ path: inner.split('.') });
    i = close + 2;
  }
  return { source, parts };
}

/** The value at `path` (object keys; list indexes as numbers); undefined when any step is missing. */
export function lookup(data: unknown, path: readonly string[]): unknown {
  let node: unknown = data;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    if (Array.isArray(node)) {
      if (!/^\d+$/.test(seg)) return undefined;
      node = node[Number(seg)];
    } else {
      // own properties only: `{{constructor.name}}` must not reach into prototypes
      if (!Object.prototype.hasOwnProperty.call(node, seg)) return undefined;
      node = (node as Record<string, unknown>)[seg];
    }
  }
  return node;
}

/** A field's text: strings as they are, numbers and booleans as written, lists and mappings as JSON, missing as "". */
export function valueText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

export function renderTemplate(t: Template, data: unknown, escape: (s: string) => string): string {
  return t.parts.map((p) => ('text' in p ? p.text : escape(valueText(lookup(data, p.path))))).join('');
}

/** For inside a JSON string literal: the JSON escaping of the text, without the quotes. */
export function jsonEscape(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/**
 * Checks a body template once, at config time: it parses, and with every
 * field filled in it is JSON. Placeholders belong inside JSON strings
 * ("{{title}}") or where a number goes; "0" stands in for every field, which
 * is valid in both places.
 */
export function checkJsonTemplate(source: string): string | undefined {
  let t: Template;
  try {
    t = parseTemplate(source);
  } catch (err) {
    return (err as Error).message;
  }
  try {
    JSON.parse(renderTemplate(t, undefined, () => '0'));
  } catch (err) {
    return `the body is not JSON once fields are filled in (${(err as Error).message}); put placeholders inside JSON strings, e.g. {"text": "{{title}}"}`;
  }
  return undefined;
}
