// Runs one parsed command against Kubernetes as the chat user's identity
// and turns the outcome into a platform-neutral reply. Authorization comes
// before this (authorize.ts); a 403 here (a check that raced a RoleBinding
// change, or a call the review did not cover) still reads as a denial. Any
// failure becomes a reply with the Kubernetes message, never a stack trace.

import { describeApiError } from './errors.ts';
import { CommandError, type ExecContext } from './exec/context.ts';
import { execDescribe, execEvents, execGet, execLogs, execPods, execWhoami } from './exec/read.ts';
import { execCordon, execDelete, execRestart, execRollout, execScale } from './exec/write.ts';
import type { ChatReply, ParsedCommand } from './types.ts';

export type { ExecContext } from './exec/context.ts';

export async function executeCommand(cmd: ParsedCommand, ctx: ExecContext): Promise<ChatReply> {
  try {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    return await run(cmd, ctx);
  } catch (err) {
    return failureReply(err, ctx.signal);
  }
}

function run(cmd: ParsedCommand, x: ExecContext): Promise<ChatReply> {
  switch (cmd.verb) {
    case 'help':
      // help is answered by the service from the command table, without the cluster
      return Promise.resolve({ status: 'invalid', title: 'help is not run against the cluster', blocks: [] });
    case 'whoami':
      return execWhoami(x);
    case 'pods':
      return execPods(cmd, x);
    case 'get':
      return execGet(cmd, x);
    case 'describe':
      return execDescribe(cmd, x);
    case 'logs':
      return execLogs(cmd, x);
    case 'events':
      return execEvents(cmd, x);
    case 'scale':
      return execScale(cmd, x);
    case 'restart':
      return execRestart(cmd, x);
    case 'rollout':
      return execRollout(cmd, x);
    case 'cordon':
    case 'uncordon':
      return execCordon(cmd, x);
    case 'delete':
      return execDelete(cmd, x);
    case 'silence':
      // silences are kubeherald's, not the cluster's: the service runs them (silence-command.ts)
      return Promise.resolve({ status: 'invalid', title: 'silence is not run against the cluster', blocks: [] });
  }
}

/** An error as the reply the command gets (the preview's dry run answers failures the same way). */
export function failureReply(err: unknown, signal: AbortSignal | undefined): ChatReply {
  if (err instanceof CommandError) return { status: err.status, title: err.message, blocks: [] };
  const f = describeApiError(err, signal);
  const title = f.forbidden ? `Forbidden: ${f.message}` : f.status ? `Error from server${f.reason ? ` (${f.reason})` : ''}: ${f.message}` : `Error: ${f.message}`;
  return { status: f.forbidden ? 'denied' : 'error', title, blocks: [] };
}
