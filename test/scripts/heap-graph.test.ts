// scripts/heap-graph.ts: dominators and retained sizes of a V8 heap snapshot,
// on a snapshot small enough to work out by hand.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeHeap, type HeapSnapshotJson, packageOf } from '../../scripts/heap-graph.ts';

const NODE_TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic', 'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape'];
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];

/** nodes: [type, name, size, edges: [edgeType, nameOrIndex, toNode]] */
function snapshot(nodes: [string, string, number, [string, string | number, number][]][]): HeapSnapshotJson {
  const strings: string[] = [];
  const str = (s: string): number => (strings.includes(s) ? strings.indexOf(s) : strings.push(s) - 1);
  const flatNodes: number[] = [];
  const flatEdges: number[] = [];
  nodes.forEach(([type, name, size, edges], id) => {
    flatNodes.push(NODE_TYPES.indexOf(type), str(name), id * 2 + 1, size, edges.length, 0, 0);
    for (const [et, n, to] of edges) flatEdges.push(EDGE_TYPES.indexOf(et), et === 'element' || et === 'hidden' ? (n as number) : str(n as string), to * 7);
  });
  return {
    snapshot: {
      meta: {
        node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
        node_types: [NODE_TYPES, 'string', 'number', 'number', 'number', 'number', 'number'],
        edge_fields: ['type', 'name_or_index', 'to_node'],
        edge_types: [EDGE_TYPES, 'string_or_number', 'node'],
      },
    },
    nodes: flatNodes,
    edges: flatEdges,
    strings,
  };
}

// root → Reflector(#objects → Map → table → a cached pod, #o → options → spec → kind "Pod");
// root → Holder, which shares a string with the table and holds the pod weakly; root → a script
const HEAP = snapshot([
  ['synthetic', '', 0, [['property', 'a', 1], ['property', 'c', 2], ['property', 's', 11]]],
  ['object', 'Reflector', 10, [['property', '#objects', 3], ['property', '#o', 4]]],
  ['object', 'Holder', 5, [['property', 'x', 5], ['weak', 'w', 8]]],
  ['object', 'Map', 20, [['internal', 'table', 6]]],
  ['object', 'Object', 8, [['property', 'spec', 7]]],
  ['string', 'shared', 16, []],
  ['array', '', 40, [['element', 0, 8], ['element', 1, 5]]],
  ['object', 'Object', 8, [['property', 'kind', 9]]],
  ['object', 'Object', 100, [['property', 'name', 10]]],
  ['string', 'Pod', 12, []],
  ['string', 'p1', 14, []],
  // a loaded script: a code node with its source and name
  ['code', 'file:///app/node_modules/@scope/pkg/dist/x.js', 30, [['internal', 'source', 12], ['internal', 'name', 13]]],
  ['string', 'export const x = 1;', 50, []],
  ['string', 'file:///app/node_modules/@scope/pkg/dist/x.js', 20, []],
]);

test('retained sizes follow dominators: a string shared with another holder is not the cache’s, a weak edge retains nothing', () => {
  const s = analyzeHeap(HEAP);
  assert.equal(s.totalSize, 10 + 5 + 20 + 8 + 16 + 40 + 8 + 100 + 12 + 14 + 30 + 50 + 20);
  // Map: itself, its table, the pod and the pod's name; not the shared string
  assert.deepEqual(s.caches, [{ kind: 'Pod', objects: 1, retained: 20 + 40 + 100 + 14 }]);
});

test('by constructor, an object inside another of its class is counted once', () => {
  const objects = analyzeHeap(HEAP).byConstructor.find((c) => c.name === 'Object')!;
  // options (8) holding spec (8, an Object too) holding "Pod" (12), and the pod (100 + 14)
  assert.deepEqual(objects, { name: 'Object', count: 3, self: 116, retained: 8 + 8 + 12 + 100 + 14 });
});

test('script sources are summed by package', () => {
  assert.deepEqual(analyzeHeap(HEAP).scriptsByPackage, [{ name: '@scope/pkg', scripts: 1, size: 50 }]);
  assert.equal(packageOf('file:///w/node_modules/undici/lib/a.js'), 'undici');
  assert.equal(packageOf('file:///w/src/cluster/trim.ts'), 'src/cluster');
  assert.equal(packageOf('node:internal/fs'), 'node:internal');
});
