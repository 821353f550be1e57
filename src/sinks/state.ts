// A sink's key → value state kept in memory, for a sink the process lends no
// state database (tests, `kubeherald demo` without one): least recently used
// keys are forgotten past `max`, so memory stays bounded.

import type { SinkState } from './types.ts';

/** `V` is what get() gives when the caller names no type. */
export class MemorySinkState<V = unknown> implements SinkState {
  readonly #values = new Map<string, unknown>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  get size(): number {
    return this.#values.size;
  }

  async get<T = V>(key: string): Promise<T | undefined> {
    if (!this.#values.has(key)) return undefined;
    const value = this.#values.get(key);
    this.#values.delete(key);
    this.#values.set(key, value);
    return copy(value) as T;
  }

  async set(key: string, value: unknown): Promise<void> {
    this.#values.delete(key);
    this.#values.set(key, copy(value));
    while (this.#values.size > this.#max) this.#values.delete(this.#values.keys().next().value as string);
  }
}

/** Callers get what a database would give back: their own copy, never the stored object. */
function copy(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? structuredClone(value) : value;
}
