// Config errors a person can act on: where (file and line, or the
// environment variable or flag), which key, what was expected and what was
// found, every problem at once rather than one per attempt.

import type { z } from 'zod';
import { didYouMean } from './suggest.ts';

export interface ConfigIssue {
  /** the config file, or the environment variable / flag the value came from */
  file: string;
  /** dotted path of the key, lists indexed: `sinks[1].color`; empty for the file as a whole */
  path: string;
  line?: number;
  message: string;
  /** a warning is reported and the config used all the same (unless --strict makes it an error); default error */
  severity?: 'error' | 'warning';
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** `FILE:LINE: path.to.key: message` (line and path when known; `warning: ` before the message of a warning). */
export function formatIssue(i: ConfigIssue): string {
  const where = i.line === undefined ? i.file : `${i.file}:${i.line}`;
  const message = i.severity === 'warning' ? `warning: ${i.message}` : i.message;
  return i.path ? `${where}: ${i.path}: ${message}` : `${where}: ${message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${String(seg)}` : String(seg);
  return out;
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

const BOOLEAN_WORDS = /^(y|n|yes|no|on|off|true|false)$/i;

/** A value as the person wrote it, in YAML terms. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/**
 * zod's issue (parsed with reportInput) as one sentence: `expected …, got …`.
 * Messages a schema wrote itself are kept (those of custom and size checks
 * whole, those of format checks with the value appended).
 */
export function issueMessage(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  const missing = input === undefined;
  switch (issue.code) {
    case 'invalid_type': {
      const expected = ARTICLE[issue.expected] ?? issue.expected;
      if (missing) return `required (expected ${expected})`;
      // YAML 1.1 habits: `yes`, `on` and quoted "true" are text in YAML 1.2
      const hint = issue.expected === 'boolean' && typeof input === 'string' && BOOLEAN_WORDS.test(input) ? '; write true or false, unquoted' : '';
      return `expected ${expected}, got ${describeValue(input)}${hint}`;
    }
    case 'invalid_value':
      return withSuggestion(`expected ${oneOf(issue.values.map(String))}, got ${describeValue(input)}`, input, issue.values.map(String));
    case 'invalid_union': {
      if (!('discriminator' in issue) || !issue.discriminator) return issue.message;
      const options = ((issue as { options?: unknown[] }).options ?? []).map(String);
      const value = input && typeof input === 'object' ? (input as Record<string, unknown>)[issue.discriminator] : undefined;
      if (value === undefined) return `required (expected ${oneOf(options)})`;
      return withSuggestion(`expected ${oneOf(options)}, got ${describeValue(value)}`, value, options);
    }
    case 'too_small':
      if (!issue.message.startsWith('Too small')) return custom(issue.message, issue.origin, input);
      return `${bound(issue.origin, 'min', Number(issue.minimum), issue.inclusive !== false)}, got ${describeValue(input)}`;
    case 'too_big':
      if (!issue.message.startsWith('Too big')) return custom(issue.message, issue.origin, input);
      return `${bound(issue.origin, 'max', Number(issue.maximum), issue.inclusive !== false)}, got ${describeValue(input)}`;
    case 'invalid_format':
      return `${issue.message}, got ${describeValue(input)}`;
    case 'custom':
      return issue.message;
    default:
      return missing ? `${issue.message}` : `${issue.message}, got ${describeValue(input)}`;
  }
}

// a schema's own message, with the value unless it is a whole list
function custom(message: string, origin: string, input: unknown): string {
  return origin === 'array' || origin === 'set' ? message : `${message}, got ${describeValue(input)}`;
}

function oneOf(values: string[]): string {
  return values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.join(', ')}`;
}

function withSuggestion(message: string, input: unknown, options: string[]): string {
  const guess = typeof input === 'string' ? didYouMean(input, options) : undefined;
  return guess ? `${message}; did you mean "${guess}"?` : message;
}

function bound(origin: string, side: 'min' | 'max', n: number, inclusive: boolean): string {
  if (origin === 'string') {
    if (side === 'min' && n === 1) return 'expected a non-empty string';
    return `expected ${side === 'min' ? 'at least' : 'at most'} ${n} characters`;
  }
  if (origin === 'array' || origin === 'set') return `expected ${side === 'min' ? 'at least' : 'at most'} ${n} items`;
  const op = side === 'min' ? (inclusive ? '≥' : '>') : inclusive ? '≤' : '<';
  return `expected a number ${op} ${n}`;
}
