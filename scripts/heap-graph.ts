// The pure part of scripts/heap-summary.ts: a V8 heap snapshot's graph,
// its dominator tree (Cooper, Harvey and Kennedy's iterative algorithm over
// a reverse postorder; weak edges do not retain, as in DevTools), retained
// sizes, and the sums the summary prints. Typed arrays throughout: a
// snapshot of a process caching 10,000 pods has millions of nodes.

export interface HeapSnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: unknown[]; edge_fields: string[]; edge_types: unknown[] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface ConstructorSize {
  name: string;
  count: number;
  self: number;
  retained: number;
}

export interface HeapSummary {
  nodeCount: number;
  totalSize: number;
  byConstructor: ConstructorSize[];
  /** each Reflector's object cache: the kind it watches, entries, retained bytes */
  caches: { kind: string; objects: number; retained: number }[];
  /** loaded scripts' source text by npm package (or the project folder under src/) */
  scriptsByPackage: { name: string; scripts: number; size: number }[];
}

const NONE = -1;

/** The class a node counts under, named as DevTools names them. */
function className(type: string, name: string): string {
  switch (type) {
    case 'object':
    case 'native':
    case 'synthetic':
      return name;
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)';
    case 'closure':
      return '(closure)';
    case 'code':
      return '(compiled code)';
    case 'array':
      return '(array)';
    case 'hidden':
    case 'object shape':
      return '(system)';
    default:
      return `(${type})`;
  }
}

/** "file:///…/node_modules/@scope/pkg/x.js" → "@scope/pkg"; "…/src/cluster/x.ts" → "src/cluster"; node's own → "node:internal". */
export function packageOf(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const m = /\/(src|dist)\/([^/]+)\//.exec(url);
  if (m) return `${m[1]}/${m[2]}`;
  if (url.startsWith('node:') || !url.includes('/')) return 'node:internal';
  return url;
}

export function analyzeHeap(snap: HeapSnapshotJson): HeapSummary {
  const meta = snap.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const nTypeAt = meta.node_fields.indexOf('type');
  const nNameAt = meta.node_fields.indexOf('name');
  const nSizeAt = meta.node_fields.indexOf('self_size');
  const nEdgesAt = meta.node_fields.indexOf('edge_count');
  const eTypeAt = meta.edge_fields.indexOf('type');
  const eNameAt = meta.edge_fields.indexOf('name_or_index');
  const eToAt = meta.edge_fields.indexOf('to_node');
  const nodeTypes = meta.node_types[nTypeAt] as string[];
  const edgeTypes = meta.edge_types[eTypeAt] as string[];
  const weak = edgeTypes.indexOf('weak');
  const shortcut = edgeTypes.indexOf('shortcut');
  const namedEdge = new Set(['context', 'property', 'internal', 'shortcut', 'weak'].map((t) => edgeTypes.indexOf(t)));
  const { nodes, edges, strings } = snap;
  const n = nodes.length / nf;

  // first edge of each node (CSR)
  const firstEdge = new Uint32Array(n + 1);
  for (let i = 0, e = 0; i < n; i++) {
    firstEdge[i] = e;
    e += nodes[i * nf + nEdgesAt] * ef;
    firstEdge[i + 1] = e;
  }
  const typeOf = (i: number): string => nodeTypes[nodes[i * nf + nTypeAt]];
  const nameOf = (i: number): string => strings[nodes[i * nf + nNameAt]];
  const selfOf = (i: number): number => nodes[i * nf + nSizeAt];
  const retains = (e: number): boolean => {
    const t = edges[e + eTypeAt];
    return t !== weak && t !== shortcut;
  };

  // postorder from the root (node 0) over retaining edges
  const post = new Int32Array(n).fill(NONE);
  const order = new Int32Array(n);
  const visited = new Uint8Array(n);
  const stack = new Int32Array(n);
  const cursor = new Uint32Array(n);
  let reached = 0;
  let sp = 0;
  stack[sp++] = 0;
  visited[0] = 1;
  cursor[0] = firstEdge[0];
  while (sp > 0) {
    const v = stack[sp - 1];
    let pushed = false;
    while (cursor[v] < firstEdge[v + 1]) {
      const e = cursor[v];
      cursor[v] += ef;
      if (!retains(e)) continue;
      const w = edges[e + eToAt] / nf;
      if (visited[w]) continue;
      visited[w] = 1;
      cursor[w] = firstEdge[w];
      stack[sp++] = w;
      pushed = true;
      break;
    }
    if (!pushed) {
      sp--;
      post[v] = reached;
      order[reached++] = v;
    }
  }

  // predecessors of reachable nodes (CSR)
  const predCount = new Uint32Array(n + 1);
  for (let v = 0; v < n; v++) {
    if (post[v] === NONE) continue;
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += ef) if (retains(e)) predCount[edges[e + eToAt] / nf]++;
  }
  const predStart = new Uint32Array(n + 1);
  for (let v = 0; v < n; v++) predStart[v + 1] = predStart[v] + predCount[v];
  const preds = new Int32Array(predStart[n]);
  const fill = predStart.slice(0, n);
  for (let v = 0; v < n; v++) {
    if (post[v] === NONE) continue;
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += ef) if (retains(e)) preds[fill[edges[e + eToAt] / nf]++] = v;
  }

  // immediate dominators, as postorder numbers
  const root = post[0];
  const idom = new Int32Array(reached).fill(NONE);
  idom[root] = root;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (a < b) a = idom[a];
      while (b < a) b = idom[b];
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let p = reached - 2; p >= 0; p--) {
      const v = order[p];
      let d = NONE;
      for (let k = predStart[v]; k < predStart[v + 1]; k++) {
        const q = post[preds[k]];
        if (q === NONE || idom[q] === NONE) continue;
        d = d === NONE ? q : intersect(q, d);
      }
      if (d !== idom[p]) {
        idom[p] = d;
        changed = true;
      }
    }
  }

  // retained sizes: a dominator comes after everything it dominates in postorder
  const retained = new Float64Array(reached);
  let totalSize = 0;
  for (let p = 0; p < reached; p++) {
    retained[p] += selfOf(order[p]);
    totalSize += selfOf(order[p]);
    if (p !== root && idom[p] !== NONE) retained[idom[p]] += retained[p];
  }

  // by constructor, counting an object only when no dominator of it is of its class
  const classIds = new Map<string, number>();
  const classOf = new Int32Array(reached);
  for (let p = 0; p < reached; p++) {
    const v = order[p];
    const c = className(typeOf(v), nameOf(v));
    let id = classIds.get(c);
    if (id === undefined) classIds.set(c, (id = classIds.size));
    classOf[p] = id;
  }
  const childStart = new Uint32Array(reached + 1);
  for (let p = 0; p < reached; p++) if (p !== root && idom[p] !== NONE) childStart[idom[p] + 1]++;
  for (let p = 0; p < reached; p++) childStart[p + 1] += childStart[p];
  const children = new Int32Array(childStart[reached]);
  const cfill = childStart.slice(0, reached);
  for (let p = 0; p < reached; p++) if (p !== root && idom[p] !== NONE) children[cfill[idom[p]]++] = p;
  const agg = [...classIds.keys()].map((name) => ({ name, count: 0, self: 0, retained: 0 }));
  const onPath = new Uint32Array(classIds.size);
  const tstack: number[] = [root];
  while (tstack.length) {
    const x = tstack.pop()!;
    if (x < 0) {
      onPath[classOf[~x]]--;
      continue;
    }
    const a = agg[classOf[x]];
    a.count++;
    a.self += selfOf(order[x]);
    if (onPath[classOf[x]] === 0) a.retained += retained[x];
    onPath[classOf[x]]++;
    tstack.push(~x);
    for (let k = childStart[x]; k < childStart[x + 1]; k++) tstack.push(children[k]);
  }
  const byConstructor = agg.filter((a) => a.name !== '' && a.name !== '(system)' || a.count > 0).sort((a, b) => b.retained - a.retained);

  // edges by name from a node
  const edgeTo = (v: number, name: string): number => {
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += ef) {
      if (namedEdge.has(edges[e + eTypeAt]) && strings[edges[e + eNameAt]] === name) return edges[e + eToAt] / nf;
    }
    return NONE;
  };
  const retainedOf = (v: number): number => (post[v] === NONE ? 0 : retained[post[v]]);

  // every Reflector's #objects Map, named by its spec's kind
  const caches: HeapSummary['caches'] = [];
  for (let v = 0; v < n; v++) {
    if (typeOf(v) !== 'object' || nameOf(v) !== 'Reflector') continue;
    const map = edgeTo(v, '#objects');
    if (map === NONE) continue;
    const opts = edgeTo(v, '#o');
    const spec = opts === NONE ? NONE : edgeTo(opts, 'spec');
    const kindNode = spec === NONE ? NONE : edgeTo(spec, 'kind');
    const table = edgeTo(map, 'table');
    let objects = 0;
    if (table !== NONE) for (let e = firstEdge[table]; e < firstEdge[table + 1]; e += ef) if (typeOf(edges[e + eToAt] / nf) === 'object') objects++;
    caches.push({ kind: kindNode === NONE ? '?' : nameOf(kindNode), objects, retained: retainedOf(map) });
  }
  caches.sort((a, b) => b.retained - a.retained);

  // scripts: the source text of each, by package
  const pkgs = new Map<string, { name: string; scripts: number; size: number }>();
  for (let v = 0; v < n; v++) {
    // a Script is a code node with its source text
    if (typeOf(v) !== 'code') continue;
    const source = edgeTo(v, 'source');
    if (source === NONE) continue;
    const nameNode = edgeTo(v, 'name');
    const url = nameNode === NONE ? '' : nameOf(nameNode);
    const key = packageOf(url);
    const p = pkgs.get(key) ?? { name: key, scripts: 0, size: 0 };
    p.scripts++;
    p.size += source === NONE ? 0 : selfOf(source);
    pkgs.set(key, p);
  }
  const scriptsByPackage = [...pkgs.values()].sort((a, b) => b.size - a.size);

  return { nodeCount: n, totalSize, byConstructor, caches, scriptsByPackage };
}
