// docs/architecture.md is the repository's map: every folder under src/ has
// a row there, and every folder it names exists.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(import.meta.dirname, '../..');
const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
const folders = readdirSync(join(root, 'src'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const rows = [...doc.matchAll(/^\| [^|]* \| `([a-z-]+)\/` \|/gm)].map((m) => m[1]);

describe('docs/architecture.md', () => {
  it('describes every folder under src/', () => {
    assert.deepEqual(folders.filter((f) => !rows.includes(f)), []);
  });

  it('names no folder that is not there', () => {
    assert.deepEqual(rows.filter((r) => !folders.includes(r)), []);
  });
});
