// Which resources the simulator serves right now: the built-ins plus whatever
// CustomResourceDefinitions have established. Discovery, OpenAPI and request
// routing all read from here, so a new CRD appears everywhere at once.

import type { ResourceType } from './types.ts';

export class ResourceRegistry {
  #builtin: ResourceType[];
  #custom = new Map<string, ResourceType[]>(); // CRD name → its served versions
  #all: ResourceType[] = [];
  #version = 0;

  constructor(builtin: ResourceType[]) {
    this.#builtin = builtin;
    this.#rebuild();
  }

  /** Increments whenever the served set changes (discovery caches key on it). */
  get version(): number {
    return this.#version;
  }

  all(): ResourceType[] {
    return this.#all;
  }

  setCustom(crdName: string, types: ResourceType[]): void {
    if (types.length === 0) this.#custom.delete(crdName);
    else this.#custom.set(crdName, types);
    this.#rebuild();
  }

  /** The type served at group/version/resource, if any. */
  lookup(group: string, version: string, resource: string): ResourceType | undefined {
    return this.#all.find((t) => t.group === group && t.version === version && t.resource === resource);
  }

  /** The preferred (first served) version of a resource, by storage key. */
  byStorage(storage: string): ResourceType | undefined {
    return this.#all.find((t) => t.storage === storage);
  }

  byKind(group: string, version: string, kind: string): ResourceType | undefined {
    return this.#all.find((t) => t.group === group && t.version === version && t.kind === kind);
  }

  /** group → versions served, in preference order. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const t of this.#all) {
      const versions = out.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      out.set(t.group, versions);
    }
    return out;
  }

  #rebuild(): void {
    this.#all = [...this.#builtin, ...[...this.#custom.values()].flat()];
    this.#version++;
  }
}
