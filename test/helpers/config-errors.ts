// What a config text is refused with, line by line, for the tests of each
// section's errors.

import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from '../../src/config/index.ts';

/** The error's lines for `text` (as file k.yaml); fails when the text is valid or the error is not a ConfigError. */
export function configErrors(text: string): string[] {
  try {
    parseConfigText(text, 'k.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message.split('\n');
  }
  assert.fail('expected a ConfigError');
}

/** YAML from its lines. */
export const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;
