// The Deployment's requests and limits are the ones docs/scale.md measured
// and recommends for the cluster size the manifests are for: changing one
// without the other fails here.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..');

/** The cells of docs/scale.md's recommendation row that names deploy/. */
function manifestRow(markdown: string): { cpuRequest: string; memoryRequest: string; memoryLimit: string } {
  const rows = markdown.split('\n').filter((l) => l.startsWith('|') && l.includes('deploy/'));
  if (rows.length !== 1) throw new Error(`docs/scale.md: expected one table row naming deploy/, found ${rows.length}`);
  const cells = rows[0].split('|').slice(1, -1).map((c) => c.trim().replace(/`/g, ''));
  const [cpuRequest, memoryRequest, memoryLimit] = cells.slice(1, 4);
  return { cpuRequest, memoryRequest, memoryLimit };
}

test("deploy/deployment.yaml: kubeherald's requests and memory limit are docs/scale.md's row for the manifests; no CPU limit", () => {
  const dep = parse(readFileSync(join(ROOT, 'deploy', 'deployment.yaml'), 'utf8')) as { spec: { template: { spec: { containers: { name: string; resources: { requests: Record<string, string>; limits: Record<string, string> } }[] } } } };
  const c = dep.spec.template.spec.containers.find((x) => x.name === 'kubeherald')!;
  const row = manifestRow(readFileSync(join(ROOT, 'docs', 'scale.md'), 'utf8'));
  assert.deepEqual({ cpuRequest: c.resources.requests.cpu, memoryRequest: c.resources.requests.memory, memoryLimit: c.resources.limits.memory }, row);
  // a CPU limit throttles the start (listing every object) and a storm's catch-up: docs/scale.md says why there is none
  assert.equal(c.resources.limits.cpu, undefined);
});

test('manifestRow: exactly one row names deploy/', () => {
  assert.deepEqual(manifestRow('| size | cpu | mem | lim |\n| up to 10,000 pods (deploy/) | `100m` | `320Mi` | `512Mi` | x |\n'), { cpuRequest: '100m', memoryRequest: '320Mi', memoryLimit: '512Mi' });
  assert.throws(() => manifestRow('| a | b |\n'), /found 0/);
});
