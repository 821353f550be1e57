// The config of the chat-request crash test, shared by the parent and its
// child process: the console answers in namespace crash; scaling there
// needs one approval from group sre (carol), alice may only ask.

import { type Config, parseConfigText } from '../../src/config/index.ts';

export const CRASH_NS = 'crash';

export function crashConfig(): Config {
  return parseConfigText(
    `cluster:
  name: crash
chatops:
  defaultNamespace: ${CRASH_NS}
  identities:
    - { platform: console, user: alice, kubernetes: { user: alice@corp } }
    - { platform: console, user: carol, kubernetes: { user: carol@corp, groups: [sre] } }
  policies:
    - name: crash-scaling
      commands: [scale]
      namespaces: [${CRASH_NS}]
      approvals: 1
      approvers: { groups: [sre] }
      expirySeconds: 600
`,
    'crash.yaml',
  );
}
