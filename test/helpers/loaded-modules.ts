// Preload (`node --import ./test/helpers/loaded-modules.ts …`): every module
// URL the process resolves, written one per line to $KUBEHERALD_LOADED_MODULES
// when it exits; tests read it to tell what a command loaded.

import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const out = process.env.KUBEHERALD_LOADED_MODULES;
if (out) {
  const urls = new Set<string>();
  registerHooks({
    resolve(specifier, context, next) {
      const r = next(specifier, context);
      urls.add(r.url);
      return r;
    },
  });
  process.on('exit', () => writeFileSync(out, [...urls].join('\n') + '\n'));
}
