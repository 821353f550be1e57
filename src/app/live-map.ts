// A map that is always the current one: the deliverer and the outbox keep
// this view while the routing hub swaps the map behind it.

/** A read-only view of whatever map `get` returns now. */
export class LiveMap<V> implements ReadonlyMap<string, V> {
  #get: () => ReadonlyMap<string, V>;
  constructor(get: () => ReadonlyMap<string, V>) {
    this.#get = get;
  }
  get size(): number {
    return this.#get().size;
  }
  get(k: string): V | undefined {
    return this.#get().get(k);
  }
  has(k: string): boolean {
    return this.#get().has(k);
  }
  forEach(cb: (v: V, k: string, m: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.#get()) cb.call(thisArg, v, k, this);
  }
  entries(): MapIterator<[string, V]> {
    return this.#get().entries();
  }
  keys(): MapIterator<string> {
    return this.#get().keys();
  }
  values(): MapIterator<V> {
    return this.#get().values();
  }
  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }
}
