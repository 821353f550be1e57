#!/usr/bin/env -S node --optimize-for-size
// --optimize-for-size: V8 favours memory over speed (a young generation of
// 1 MiB semi-spaces instead of up to 64 MiB, the old generation grown in
// smaller steps, freed pages given back sooner). A `kubeherald run` caching
// 10,000 pods and 1,000 nodes (compiled build, one run each on the loaded
// 2-core machine) was ready at 175-185 MB RSS instead of 258-274 MB with
// --max-semi-space-size=16 alone and 378 MB with V8's defaults; its peak in
// a 20,000 events/s storm 201 MB instead of 267-305 and 406, at the same
// watch events per CPU-second (15,075 against 15,072). The price is CPU
// while listing: 4.0 s to ready instead of 2.4-2.7 s. Smaller semi-spaces
// alone did not get there (2 MiB: 264 MB ready). Node reads V8 flags only at
// start, so they are here and in the Dockerfile's ENTRYPOINT
// (test/cli/node-flags.test.ts keeps the two the same).
// The kubeherald command. A checkout runs the TypeScript sources directly
// (Node 24 strips the types); the published package has no src/ and runs the
// JavaScript that `npm run build` compiled into dist/. Deciding by the sources
// rather than by dist/ means a stale build never shadows the code being edited.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
await import(existsSync(sources) ? sources.href : new URL('../dist/cli/main.js', import.meta.url).href);
