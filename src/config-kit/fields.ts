// Building blocks for config schemas (src/config and each sink's own
// schema): strict mappings whose unknown keys are reported one by one with a
// suggestion, sections that may be left empty in YAML, and the field types
// several sections share.

import { z } from 'zod';
import { didYouMean } from './suggest.ts';

/**
 * A mapping that rejects unknown keys. zod's strictObject reports them all in
 * one issue at the parent; here each gets its own issue at its own path, so
 * the error can point at the key's line and suggest the key that was meant.
 */
export function strict<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z
    .looseObject(shape)
    .superRefine(
      (obj, ctx) => {
        // also runs after a type error (when: below), when obj may be a list or a scalar
        if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return;
        for (const key of Object.keys(obj)) {
          if (!known.includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: unknownKeyMessage(key, known), params: { unknownKey: true } });
        }
      },
      // report unknown keys even when a known key is also wrong
      { when: () => true },
    )
    .transform((obj) => {
      const out: Record<string, unknown> = {};
      for (const key of known) if (key in obj) out[key] = (obj as Record<string, unknown>)[key];
      return out as z.output<z.ZodObject<T>>;
    });
}

function unknownKeyMessage(key: string, known: string[]): string {
  const guess = didYouMean(key, known);
  return guess ? `unknown key; did you mean "${guess}"?` : `unknown key (known keys: ${known.join(', ')})`;
}

/**
 * A mapping that may be absent or empty: `cluster:` with every child
 * commented out is YAML null, and means "all defaults" like an absent key.
 */
export function section<S extends z.ZodType>(schema: S) {
  return z.preprocess((v) => (v === null ? undefined : v), schema.prefault({} as z.input<S>));
}

/** A list that may be written as `key:` with nothing under it. */
export function list<S extends z.ZodType>(item: S) {
  return z.preprocess((v) => (v === null ? undefined : v), z.array(item).default([]));
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A name other settings refer to, e.g. a sink's: the same rules as a Kubernetes object name. */
export const dnsLabel = z
  .string()
  .max(63, { error: 'expected at most 63 characters' })
  .regex(DNS1123_LABEL, { error: 'expected a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)' });

/**
 * A whole number of seconds (or items) no smaller than `min`. Not zod's
 * .int(): its failure aborts the parse, hiding every unknown key elsewhere.
 */
export function count(min: number) {
  return z.number().superRefine((n, ctx) => {
    if (!Number.isInteger(n) || n < min) ctx.addIssue({ code: 'custom', message: `expected an integer ≥ ${min}, got ${n}` });
  });
}

/** A Kubernetes label selector (metav1.LabelSelector); `operator` is how its operators are read (checked at once, or later in Kubernetes' words). */
export function labelSelector<O extends z.ZodType>(operator: O) {
  return strict({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z.array(strict({ key: z.string(), operator, values: z.array(z.string()).optional() })).optional(),
  });
}
