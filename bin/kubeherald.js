#!/usr/bin/env -S node --max-semi-space-size=16
// --max-semi-space-size=16 (MiB): V8 grows the young generation up to 64 MiB
// semi-spaces on a 64-bit machine, and a `kubeherald run` caching 10,000 pods
// and 1,000 nodes then held 128 MiB resident for it (new_space, nearly all
// free between scavenges): a third of its RSS. Capped at 16 MiB its RSS when
// ready fell from 378 to 277 MB and its peak in the bench's storm from 406 to
// 304 MB, with no loss of events per CPU-second; at 4 MiB short-lived watch
// objects were promoted and the old generation grew past the default's peak.
// Node reads V8 flags only at start, so they are here and in the Dockerfile's
// ENTRYPOINT (test/cli/node-flags.test.ts keeps the two the same).
// The kubeherald command. A checkout runs the TypeScript sources directly
// (Node 24 strips the types); the published package has no src/ and runs the
// JavaScript that `npm run build` compiled into dist/. Deciding by the sources
// rather than by dist/ means a stale build never shadows the code being edited.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
await import(existsSync(sources) ? sources.href : new URL('../dist/cli/main.js', import.meta.url).href);
