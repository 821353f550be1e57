// `node scripts/heap-summary.ts FILE.heapsnapshot [--top N]`: what holds the
// memory of a process, from a V8 heap snapshot (`node
// --heapsnapshot-signal=SIGUSR2 …`, then `kill -USR2 <pid>`), computed rather
// than eyeballed in DevTools: retained size by constructor (as DevTools'
// Summary counts it: an object inside another of its own class is not
// counted twice), what each watch's cache retains (the Reflector's
// #objects, by the kind it watches), and the loaded script sources by
// package. The pure part (heap-graph.ts) is tested; this file reads and prints.

import { readFileSync } from 'node:fs';
import { analyzeHeap, type HeapSnapshotJson } from './heap-graph.ts';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 15;
if (!file || !(top > 0)) {
  process.stderr.write('usage: node scripts/heap-summary.ts FILE.heapsnapshot [--top N]\n');
  process.exit(2);
}

const snapshot = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshotJson;
const s = analyzeHeap(snapshot);
const mb = (b: number): string => (b / 1048576).toFixed(1).padStart(7) + ' MB';
const out: string[] = [`total ${mb(s.totalSize)} in ${s.nodeCount} objects`, '', `retained by constructor (top ${top}):`];
for (const c of s.byConstructor.slice(0, top)) out.push(`${mb(c.retained)}  self ${mb(c.self)}  ${String(c.count).padStart(8)}×  ${c.name}`);
out.push('', 'watch caches (Reflector #objects), retained:');
for (const r of s.caches) out.push(`${mb(r.retained)}  ${String(r.objects).padStart(8)} objects  ${r.kind}`);
out.push('', `script sources by package (top ${top}):`);
for (const p of s.scriptsByPackage.slice(0, top)) out.push(`${mb(p.size)}  ${String(p.scripts).padStart(5)} scripts  ${p.name}`);
process.stdout.write(out.join('\n') + '\n');
