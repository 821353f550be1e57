// What the HTTP sinks add to ./credential.ts: header values that refer to
// environment variables, and URLs read from a credential checked without
// showing them. Everything here runs when the sink is created, so a problem
// stops kubeherald at start-up with the sink and the variable named.

import { ConfigError } from '../config-kit/errors.ts';
import type { CredentialRef } from './credential.ts';

/** `${NAME}` references in a config value replaced by the variables' values; an unset one is a ConfigError naming the sink and the variable. */
export function expandEnv(value: string, owner: string, where: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') throw new ConfigError([{ file: name, path: '', message: `${owner}: not set; ${where} refers to it as \${${name}}` }]);
    return v;
  });
}

/** A URL read from a credential must still be one: checked here, reported without its value (it carries a token). */
export function checkHttpUrl(value: string, owner: string, key: string, ref: CredentialRef): string {
  const where = ref.env ?? ref.file ?? 'config';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError([{ file: where, path: '', message: `${owner} (${key}): not a URL` }]);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError([{ file: where, path: '', message: `${owner} (${key}): expected an http(s) URL, got scheme ${url.protocol}` }]);
  }
  return url.href;
}
