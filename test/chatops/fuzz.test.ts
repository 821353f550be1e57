// 100,000+ generated command texts through the parser: valid commands
// mutated with look-alike letters, direction marks, zero-width characters,
// shell syntax, huge and negative numbers, long runs and flag soup. The
// parser must never throw, and whatever it accepts must be a command the
// rest may act on unchecked: DNS-1123 names, numbers in range, plain ASCII,
// and its audit text must read back to the same command.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMANDS, commandTarget, formatCommand, isWrite, MAX_REPLICAS, MAX_SINCE_SECONDS, MAX_TAIL, requiredAccess } from '../../src/chatops/commands.ts';
import { parseCommand } from '../../src/chatops/grammar.ts';
import { helpReply } from '../../src/chatops/help.ts';
import type { ParsedCommand } from '../../src/chatops/types.ts';
import { checkSelector } from '../../src/chatops/validate.ts';
import { CONTROL, generate, INVISIBLE, LOOK_ALIKES, prng, PUNCT, VALID } from './fuzz-input.ts';

const ITERATIONS = 100_000;
const SEED = Number(process.env.FUZZ_SEED ?? 0x6b756265);

const show = (text: string): string => JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const label = (s: string | undefined): boolean => s === undefined || (s.length <= 63 && DNS_LABEL.test(s));
const subdomain = (s: string | undefined): boolean => s === undefined || (s.length <= 253 && DNS_SUBDOMAIN.test(s));
const whole = (n: number | undefined, min: number, max: number): boolean => n === undefined || (Number.isSafeInteger(n) && n >= min && n <= max);

/** Why an accepted command could not be acted on unchecked, or undefined. */
function problem(cmd: ParsedCommand): string | undefined {
  if (!/^[\x20-\x7e]*$/.test(JSON.stringify(cmd))) return 'non-ASCII or control character in the command';
  const ns = 'namespace' in cmd ? cmd.namespace : undefined;
  if (!label(ns)) return `namespace ${ns}`;
  if ('allNamespaces' in cmd && cmd.allNamespaces && ns !== undefined) return '-A with -n';
  switch (cmd.verb) {
    case 'help':
      return cmd.topic === undefined || /^[A-Za-z][A-Za-z0-9-]*( [A-Za-z][A-Za-z0-9-]*)?$/.test(cmd.topic) ? undefined : `topic ${cmd.topic}`;
    case 'whoami':
      return undefined;
    case 'pods':
      return cmd.selector === undefined || checkSelector(cmd.selector) === undefined ? undefined : `selector ${cmd.selector}`;
    case 'get':
      if (!(cmd.kind === 'namespace' ? label(cmd.name) : subdomain(cmd.name))) return `name ${cmd.name}`;
      return cmd.selector === undefined || checkSelector(cmd.selector) === undefined ? undefined : `selector ${cmd.selector}`;
    case 'describe':
      return (cmd.kind === 'namespace' ? label(cmd.name) : subdomain(cmd.name)) ? undefined : `name ${cmd.name}`;
    case 'logs':
      if (!subdomain(cmd.pod) || !label(cmd.container)) return `pod ${cmd.pod} container ${cmd.container}`;
      if (!whole(cmd.tail, 1, MAX_TAIL)) return `tail ${cmd.tail}`;
      return whole(cmd.sinceSeconds, 1, MAX_SINCE_SECONDS) ? undefined : `since ${cmd.sinceSeconds}`;
    case 'events':
      return cmd.for === undefined || (cmd.for.kind === 'namespace' ? label(cmd.for.name) : subdomain(cmd.for.name)) ? undefined : `for ${cmd.for.name}`;
    case 'scale':
      if (cmd.kind !== 'deployment' || !subdomain(cmd.name)) return `deployment ${cmd.name}`;
      return whole(cmd.replicas, 0, MAX_REPLICAS) && typeof cmd.replicas === 'number' ? undefined : `replicas ${cmd.replicas}`;
    case 'restart':
      return cmd.kind === 'deployment' && subdomain(cmd.name) ? undefined : `deployment ${cmd.name}`;
    case 'rollout':
      if (cmd.kind !== 'deployment' || !subdomain(cmd.name)) return `deployment ${cmd.name}`;
      if (cmd.toRevision !== undefined && cmd.action !== 'undo') return '--to-revision without undo';
      return whole(cmd.toRevision, 1, Number.MAX_SAFE_INTEGER) ? undefined : `revision ${cmd.toRevision}`;
    case 'cordon':
    case 'uncordon':
      return subdomain(cmd.node) && cmd.node !== undefined ? undefined : `node ${cmd.node}`;
    case 'delete':
      return cmd.kind === 'pod' && subdomain(cmd.name) ? undefined : `pod ${cmd.name}`;
  }
}

describe('parser fuzz', () => {
  it(`${ITERATIONS.toLocaleString('en-US')} generated texts (seed ${SEED}): never throws; everything accepted is safe to act on`, () => {
    const rand = prng(SEED);
    const failures: string[] = [];
    const seen = { ok: 0, refused: 0, verbs: new Set<string>() };
    for (let i = 0; i < ITERATIONS && failures.length < 10; i++) {
      const text = generate(rand);
      let result: ReturnType<typeof parseCommand>;
      try {
        result = parseCommand(text);
      } catch (err) {
        failures.push(`#${i} ${show(text)} threw ${(err as Error).stack}`);
        continue;
      }
      if (!result.ok) {
        seen.refused++;
        if (typeof result.error !== 'string' || result.error === '') failures.push(`#${i} ${show(text)}: empty error`);
        // what a reply echoes: nothing invisible or direction-changing, never the whole of a long text
        else if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00a0]/u.test(result.error)) failures.push(`#${i} ${show(text)}: error echoes an invisible character: ${JSON.stringify(result.error)}`);
        else if (result.error.length > 400) failures.push(`#${i} ${show(text)}: error is ${result.error.length} characters`);
        continue;
      }
      seen.ok++;
      const cmd = result.command;
      seen.verbs.add(cmd.verb);
      const bad = problem(cmd);
      if (bad) {
        failures.push(`#${i} ${show(text)} accepted with ${bad}: ${JSON.stringify(cmd)}`);
        continue;
      }
      try {
        requiredAccess(cmd, 'demo');
        isWrite(cmd);
        commandTarget(cmd, 'demo');
        if (cmd.verb === 'help') helpReply(cmd.topic);
        const again = parseCommand(formatCommand(cmd));
        assert.deepEqual(again, { ok: true, command: cmd });
      } catch (err) {
        failures.push(`#${i} ${show(text)} → ${JSON.stringify(cmd)}: ${(err as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
    // the generator reaches both sides, and every command
    assert.ok(seen.ok > ITERATIONS / 20, `only ${seen.ok} accepted`);
    assert.ok(seen.refused > ITERATIONS / 2, `only ${seen.refused} refused`);
    assert.deepEqual([...seen.verbs].sort(), [...new Set(COMMANDS.map((c) => c.verb))].sort());
  });

  it('refuses every look-alike, invisible, control and shell character wherever it is put in a valid command', () => {
    const rand = prng(SEED + 1);
    let checked = 0;
    for (const base of VALID) {
      for (const ch of [...LOOK_ALIKES, ...INVISIBLE, ...PUNCT, ...CONTROL.filter((c) => !'\t\n\r'.includes(c)), ';', '|', '&', '$', '`', '>', '<', '\\', '*']) {
        // inside a word, so it cannot be taken for a separator
        const words = base.split(' ');
        const wi = Math.floor(rand() * words.length);
        const w = words[wi];
        const at = 1 + Math.floor(rand() * Math.max(1, w.length - 1));
        words[wi] = w.slice(0, at) + ch + w.slice(at);
        const text = words.join(' ');
        const r = parseCommand(text);
        assert.equal(r.ok, false, `${show(text)} was accepted: ${JSON.stringify(r.ok && r.command)}`);
        checked++;
      }
    }
    assert.ok(checked > 1000);
  });
});
