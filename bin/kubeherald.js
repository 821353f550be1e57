#!/usr/bin/env node
// The kubeherald command. A checkout runs the TypeScript sources directly
// (Node 24 strips the types); the published package has no src/ and runs the
// JavaScript that `npm run build` compiled into dist/. Deciding by the sources
// rather than by dist/ means a stale build never shadows the code being edited.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
await import(existsSync(sources) ? sources.href : new URL('../dist/cli/main.js', import.meta.url).href);
