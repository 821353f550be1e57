// Writes deploy/crds/ from the zod schemas (src/crd/schemas.ts):
// `npm run generate:crds`. Files there that are no longer generated are removed.

import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crdFiles } from '../src/crd/manifests.ts';

const dir = join(import.meta.dirname, '..', 'deploy', 'crds');
mkdirSync(dir, { recursive: true });
const files = crdFiles();
for (const name of readdirSync(dir)) if (!files.has(name)) rmSync(join(dir, name));
for (const [name, text] of files) writeFileSync(join(dir, name), text);
console.log(`wrote ${files.size} files to deploy/crds/`);
