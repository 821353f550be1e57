// The import graph of src/, folded to folders. Pure apart from readSources():
// the test feeds it file texts, and the cycle search is proven on made-up
// graphs as well as on the real tree.

import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import ts from 'typescript';

/** One file-level import: `from` imports `to` (both relative to src/, posix). */
export interface FileImport {
  from: string;
  to: string;
}

/**
 * Every relative module specifier a TypeScript file names: static imports
 * and exports (`import type` and `export … from` too), dynamic `import()`,
 * `typeof import()` in types and require(). TypeScript's own pre-processor
 * reads them, so comments and strings that merely look like imports don't count.
 */
export function relativeSpecifiers(text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('./') || s.startsWith('../'));
}

/** The imports of `file` (a path under src/) that stay inside src/, resolved. */
export function fileImports(file: string, text: string): FileImport[] {
  return relativeSpecifiers(text)
    .map((s) => posix.normalize(posix.join(posix.dirname(file), s)))
    .filter((to) => !to.startsWith('../'))
    .map((to) => ({ from: file, to }));
}

/** Reads every .ts file under `srcDir` and returns their imports. */
export function readSources(srcDir: string): FileImport[] {
  const out: FileImport[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts')) {
        const file = relative(srcDir, p).split('\\').join('/');
        out.push(...fileImports(file, readFileSync(p, 'utf8')));
      }
    }
  };
  walk(srcDir);
  return out;
}

/** The top folder a src/ path is in (`sinks/slack/send.ts` → `sinks`); a file at src/'s root is its own node. */
export function topFolder(file: string): string {
  const i = file.indexOf('/');
  return i < 0 ? file : file.slice(0, i);
}

/**
 * Inside one top folder, the node a path counts as: a sub-folder as a whole
 * (`sinks/slack/send.ts` → `sinks/slack`), a file at the folder's root by
 * itself (`sinks/types.ts`), so a folder's index may list its sub-folders
 * while they use its shared files. Outside `top`: undefined.
 */
export function subNode(top: string, file: string): string | undefined {
  if (!file.startsWith(`${top}/`)) return undefined;
  const parts = file.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : file;
}

/** Edges between nodes, each with the first file-level import that makes it (the evidence). */
export type FoldedGraph = Map<string, Map<string, FileImport>>;

export function fold(imports: readonly FileImport[], node: (file: string) => string | undefined): FoldedGraph {
  const g: FoldedGraph = new Map();
  for (const imp of imports) {
    const a = node(imp.from);
    const b = node(imp.to);
    if (a === undefined || b === undefined || a === b) continue;
    let out = g.get(a);
    if (!out) g.set(a, (out = new Map()));
    if (!out.has(b)) out.set(b, imp);
  }
  return g;
}

/**
 * The strongly connected components of more than one node (Tarjan): each is
 * a set of nodes that all reach one another, so every import cycle lies
 * inside one. Sorted, so a failure reads the same run to run.
 */
export function components(g: FoldedGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  const nodes = [...new Set([...g.keys(), ...[...g.values()].flatMap((m) => [...m.keys()])])].sort();
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of [...(g.get(v)?.keys() ?? [])].sort()) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return out.sort((x, y) => x.join().localeCompare(y.join()));
}

/** One cycle per component, from its first node that `from` accepts (default: its first): [a, …, a]. */
export function cycles(g: FoldedGraph, from: (node: string) => boolean = () => true): string[][] {
  return components(g).flatMap((c) => {
    const start = c.find(from);
    return start === undefined ? [] : [shortestLoop(g, start, new Set(c))];
  });
}

/** Breadth-first from `start` inside `within` back to `start`: [start, …, start]. */
function shortestLoop(g: FoldedGraph, start: string, within: Set<string>): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...(g.get(v)?.keys() ?? [])].sort()) {
      if (!within.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(prev.get(path[0]!)!);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** `a → b → a`, then one file-level import per edge as evidence. */
export function describeCycle(g: FoldedGraph, cycle: readonly string[]): string {
  const lines = [cycle.join(' → ')];
  for (let i = 0; i + 1 < cycle.length; i++) {
    const imp = g.get(cycle[i]!)!.get(cycle[i + 1]!)!;
    lines.push(`  src/${imp.from} imports src/${imp.to}`);
  }
  return lines.join('\n');
}

/**
 * Each component as a failure line: the nodes that all reach one another,
 * then one cycle through them with its evidence (fix that, and the next run
 * names the next one).
 */
export function describeComponents(g: FoldedGraph, from: (node: string) => boolean = () => true): string[] {
  return components(g).flatMap((c) => {
    const start = c.find(from);
    if (start === undefined) return [];
    const loop = shortestLoop(g, start, new Set(c));
    return [c.length > loop.length - 1 ? `${c.join(', ')} reach one another; one cycle: ${describeCycle(g, loop)}` : describeCycle(g, loop)];
  });
}
