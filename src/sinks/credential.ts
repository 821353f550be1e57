// Credentials a sink needs (bot tokens, webhook URLs) are never written in
// the config: it names where to read them, an environment variable or a file
// (a mounted Secret). They are read once, when the sink is created, so a
// missing one stops kubeherald at start with the sink and the variable named.

import { z } from 'zod';
import { ConfigError } from '../config-kit/errors.ts';
import { strict } from '../config-kit/fields.ts';
import { fileErrorReason, readRegularFileSync } from '../config-kit/files.ts';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `{ env: NAME }` or `{ file: PATH }`: exactly one. */
export const credentialRefSchema = strict({
  env: z.string().regex(ENV_NAME, { error: 'expected an environment variable name (letters, digits and "_", not starting with a digit)' }).optional(),
  file: z.string().min(1).optional(),
}).superRefine((ref, ctx) => {
  const given = (ref.env !== undefined ? 1 : 0) + (ref.file !== undefined ? 1 : 0);
  if (given !== 1) ctx.addIssue({ code: 'custom', message: 'expected exactly one of `env: NAME` or `file: PATH`' });
});

export type CredentialRef = z.output<typeof credentialRefSchema>;

export interface CredentialContext {
  /** who needs it, for the message: `slack sink "alerts"` */
  owner: string;
  /** the config key that names it: `tokenFrom` */
  key: string;
  env: NodeJS.ProcessEnv;
}

/**
 * The credential's value, trimmed (files from Secrets often end with a
 * newline). Throws a ConfigError naming the owner, the key and the variable
 * or file, never the value.
 */
export function readCredential(ref: CredentialRef, ctx: CredentialContext): string {
  if (ref.env !== undefined) {
    const value = ctx.env[ref.env]?.trim();
    if (!value) throw new ConfigError([{ file: ref.env, path: '', message: `${ctx.owner} (${ctx.key}.env): environment variable is not set or is empty` }]);
    return value;
  }
  const path = ref.file ?? '';
  let text: string;
  try {
    // a regular file of at most 1 MiB: /dev/zero would otherwise grow memory until the kernel stops it
    text = readRegularFileSync(path).toString('utf8');
  } catch (err) {
    throw new ConfigError([{ file: path, path: '', message: `${ctx.owner} (${ctx.key}.file): cannot read: ${fileErrorReason(err)}` }]);
  }
  const value = text.trim();
  if (!value) throw new ConfigError([{ file: path, path: '', message: `${ctx.owner} (${ctx.key}.file): the file is empty` }]);
  return value;
}

/** Replaces every occurrence of the secrets in a text (error messages from clients may quote URLs). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('[redacted]');
  return out;
}
