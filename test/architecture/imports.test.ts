// Imports between folders run one way. Every relative import under src/
// (type-only and dynamic ones too) is folded into a graph of folders; a
// cycle there fails naming it, with one file-level import per edge, and so
// does an import that climbs the levels docs/architecture.md gives the folders.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cycles, describeComponents, describeCycle, fileImports, fold, type FileImport, readSources, relativeSpecifiers, subNode, topFolder } from './import-graph.ts';

const root = join(import.meta.dirname, '../..');
const imports = readSources(join(root, 'src'));
const tops = [...new Set(imports.flatMap((i) => [topFolder(i.from), topFolder(i.to)]))].sort();

/** The level of each folder in docs/architecture.md's table: 1 at the top. */
function documentedLevels(): Map<string, number> {
  const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
  return new Map([...doc.matchAll(/^\| (\d+) \| `([a-z-]+)\/` \|/gm)].map((m) => [m[2]!, Number(m[1])]));
}

const at = (i: FileImport): string => `src/${i.from} imports src/${i.to}`;

describe('imports between folders under src/', () => {
  it('form no cycle', () => {
    assert.deepEqual(describeComponents(fold(imports, topFolder)), []);
  });

  it('form no cycle between the sub-folders of one folder', () => {
    // a folder's root files count one by one, so an index may list the
    // sub-folders that use its shared files; a cycle among root files alone
    // is one folder's business
    const found = tops.flatMap((top) => {
      return describeComponents(
        fold(imports, (f) => subNode(top, f)),
        (n) => !n.endsWith('.ts'),
      );
    });
    assert.deepEqual(found, []);
  });

  it('never reach from one sink type into another (shared pieces live at sinks/ itself)', () => {
    const typeOf = (f: string): string | undefined => /^sinks\/([^/]+)\//.exec(f)?.[1];
    const reaches = imports.filter((i) => typeOf(i.from) !== undefined && typeOf(i.to) !== undefined && typeOf(i.from) !== typeOf(i.to));
    assert.deepEqual(reaches.map(at), []);
  });

  it('keep the simulator and the generated code apart, as docs/architecture.md says', () => {
    // sim/ stands in for a cluster and must not lean on what it tests; gen/ is
    // the wire format, reached through the modules that own its contracts
    const crossing = (i: FileImport): boolean => topFolder(i.from) !== topFolder(i.to);
    const simOut = imports.filter((i) => crossing(i) && topFolder(i.from) === 'sim' && topFolder(i.to) !== 'model');
    const simIn = imports.filter((i) => crossing(i) && topFolder(i.to) === 'sim' && topFolder(i.from) !== 'cli');
    const genIn = imports.filter((i) => crossing(i) && topFolder(i.to) === 'gen' && !['model', 'plugin', 'router'].includes(topFolder(i.from)));
    assert.deepEqual([...simOut, ...simIn, ...genIn].map(at), []);
  });

  it('run down the levels of docs/architecture.md', () => {
    const levels = documentedLevels();
    assert.deepEqual(tops.filter((t) => !levels.has(t)), [], 'every folder has a level');
    const up = imports.filter((i) => levels.get(topFolder(i.to))! < levels.get(topFolder(i.from))!);
    const firstPerEdge = new Map(up.map((i) => [`${topFolder(i.from)} → ${topFolder(i.to)}`, i]));
    assert.deepEqual([...firstPerEdge].map(([edge, i]) => `${edge} (level ${levels.get(topFolder(i.from))} → ${levels.get(topFolder(i.to))}): ${at(i)}`), []);
  });
});

describe('the import graph', () => {
  it('reads static, type-only, re-exported, dynamic and typeof import() specifiers, and only real ones', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b/b.ts';",
      "export { c } from './c.ts';",
      "export type * from './d.ts';",
      "const e = await import('../e/e.ts');",
      "type F = typeof import('./f.ts');",
      "import { z } from 'zod';",
      "// import { g } from './g.ts';",
      "const s = \"import('./h.ts')\";",
    ].join('\n');
    assert.deepEqual(relativeSpecifiers(text), ['./a.ts', '../b/b.ts', './c.ts', './d.ts', '../e/e.ts', './f.ts']);
  });

  it('resolves specifiers against the importing file and keeps src/ only', () => {
    assert.deepEqual(fileImports('sinks/slack/send.ts', "import '../types.ts'; import '../../model/x.ts'; import '../../../proto/y.ts';"), [
      { from: 'sinks/slack/send.ts', to: 'sinks/types.ts' },
      { from: 'sinks/slack/send.ts', to: 'model/x.ts' },
    ]);
  });

  it('names a cycle between folders with the file-level import behind each edge', () => {
    const g = fold(
      [
        { from: 'config/schema.ts', to: 'sinks/webhook/config.ts' },
        { from: 'sinks/webhook/config.ts', to: 'config/schema.ts' },
        { from: 'sinks/index.ts', to: 'model/notification.ts' },
      ],
      topFolder,
    );
    assert.deepEqual(
      cycles(g).map((c) => describeCycle(g, c)),
      ['config → sinks → config\n  src/config/schema.ts imports src/sinks/webhook/config.ts\n  src/sinks/webhook/config.ts imports src/config/schema.ts'],
    );
  });

  it('finds a long cycle once, by its shortest loop, and none in a graph that only fans in', () => {
    const edges = (pairs: string[][]): FileImport[] => pairs.map(([a, b]) => ({ from: `${a}/x.ts`, to: `${b}/y.ts` }));
    const ring = fold(edges([['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'a'], ['c', 'a']]), topFolder);
    assert.deepEqual(cycles(ring), [['a', 'b', 'c', 'a']]);
    assert.deepEqual(describeComponents(ring), ['a, b, c, d reach one another; one cycle: a → b → c → a\n  src/a/x.ts imports src/b/y.ts\n  src/b/x.ts imports src/c/y.ts\n  src/c/x.ts imports src/a/y.ts']);
    const dag = fold(edges([['app', 'sinks'], ['app', 'model'], ['sinks', 'model'], ['pipeline', 'model']]), topFolder);
    assert.deepEqual(cycles(dag), []);
  });

  it('counts a sub-folder as one node and the folder root files one by one', () => {
    assert.equal(subNode('sinks', 'sinks/slack/format/blocks.ts'), 'sinks/slack');
    assert.equal(subNode('sinks', 'sinks/types.ts'), 'sinks/types.ts');
    assert.equal(subNode('sinks', 'pipeline/outbox.ts'), undefined);
    const g = fold(
      [
        { from: 'sinks/registry.ts', to: 'sinks/slack/descriptor.ts' },
        { from: 'sinks/slack/send.ts', to: 'sinks/types.ts' },
        { from: 'sinks/plugin.ts', to: 'sinks/plugin/remote-sink.ts' },
        { from: 'sinks/plugin/descriptor.ts', to: 'sinks/plugin.ts' },
      ],
      (f) => subNode('sinks', f),
    );
    assert.deepEqual(cycles(g, (n) => !n.endsWith('.ts')), [['sinks/plugin', 'sinks/plugin.ts', 'sinks/plugin']]);
  });
});
