// The help reply, from the command table: the list of commands, or one
// command's usage, flags and examples. Pure.

import { didYouMean } from '../config-kit/suggest.ts';
import { COMMANDS, type CommandSpec, flagSpec } from './commands.ts';
import type { ChatReply, ReplyBlock } from './types.ts';

/** `help` (no topic) or `help <command>`; an unknown topic is an 'invalid' reply with a suggestion. */
export function helpReply(topic?: string): ChatReply {
  if (topic === undefined || topic.trim() === '') return overview();
  const wanted = topic.trim().replace(/\s+/g, ' ');
  // `help rollout` shows every rollout action; `help rollout undo` one
  const specs = COMMANDS.filter((c) => c.name === wanted || c.name.startsWith(`${wanted} `));
  if (specs.length > 0) return detail(specs);
  const names = [...new Set(COMMANDS.flatMap((c) => [c.name, c.verb]))];
  // a long topic is no typo of a command (and the edit distance is quadratic)
  const guess = wanted.length <= 40 ? didYouMean(wanted, names) : undefined;
  return {
    status: 'invalid',
    title: `no command "${printable(wanted)}"${guess ? `; did you mean "${guess}"?` : ''}`,
    blocks: [{ kind: 'text', text: `Commands: ${[...new Set(COMMANDS.map((c) => c.verb))].join(', ')}. \`help\` lists them with what they do.` }],
  };
}

// a topic is echoed back; only plain ASCII, cut short, goes into a reply
function printable(text: string): string {
  const plain = text.replace(/[^\x20-\x7e]/g, '?');
  return plain.length > 40 ? `${plain.slice(0, 40)}…` : plain;
}

function overview(): ChatReply {
  return {
    status: 'ok',
    title: 'kubeherald commands',
    blocks: [
      { kind: 'table', columns: ['COMMAND', 'WHAT IT DOES', 'WRITES'], rows: COMMANDS.map((c) => [c.name, c.summary, c.writes ? 'writes' : '']) },
      {
        kind: 'text',
        text:
          'Commands run as your own Kubernetes identity (`whoami`), so its RBAC decides what you may do; those marked *writes* change the cluster. ' +
          "Without -n a command uses the channel's namespace, and without --cluster the channel's cluster (else the first configured). `help <command>` shows a command's flags and examples.",
      },
    ],
  };
}

function detail(specs: CommandSpec[]): ChatReply {
  const blocks: ReplyBlock[] = [];
  for (const spec of specs) {
    blocks.push({ kind: 'code', text: spec.usage });
    blocks.push({ kind: 'text', text: `${spec.description}${spec.writes ? ' This command *writes*: it changes the cluster.' : ''}` });
    const flags = [...spec.flags, 'help' as const].map(flagSpec);
    blocks.push({
      kind: 'table',
      columns: ['FLAG', 'MEANING'],
      rows: flags.map((f) => [[f.short ? `-${f.short}` : '', `--${f.long}${f.value ? ` <${f.value}>` : ''}`].filter(Boolean).join(', '), f.help]),
    });
    blocks.push({ kind: 'code', text: spec.examples.join('\n') });
  }
  const title = specs.length === 1 ? `${specs[0].name}: ${specs[0].summary}` : `${specs[0].verb}: ${specs.map((s) => s.name).join(', ')}`;
  return { status: 'ok', title, blocks };
}
