// One chat write request as the state database keeps it — alice's `scale
// deployment web 0 -n demo` in Slack channel C1, awaiting her confirmation —
// for the tests of what happens to a request after it was made; each test
// overrides what it is about.

import { newRequestId } from '../../src/chatops/approvals.ts';
import type { ActionRequest } from '../../src/model/approval.ts';

/** When the request was made. */
export const REQUEST_T = Date.parse('2025-03-01T10:00:00Z');

export function scaleRequest(over: Partial<ActionRequest> = {}): ActionRequest {
  return {
    id: newRequestId(),
    createdAt: REQUEST_T,
    updatedAt: REQUEST_T,
    expiresAt: REQUEST_T + 600_000,
    platform: 'slack',
    requester: { platform: 'slack', id: 'U_A', name: 'alice' },
    identity: { user: 'alice@corp', groups: [] },
    channel: 'C1',
    command: 'scale deployment web 0 -n demo',
    parsed: { verb: 'scale', kind: 'deployment', name: 'web', replicas: 0, namespace: 'demo' },
    namespace: 'demo',
    target: { kind: 'deployment', namespace: 'demo', name: 'web', resourceVersion: '5' },
    previewDigest: '0'.repeat(64),
    preview: 'deployment demo/web: replicas 3 → 0',
    state: 'awaiting-confirmation',
    policy: { name: 'default', approvals: 1, approvers: {}, denyRejects: true, requireReason: false, expirySeconds: 600, why: 'scaling to 0' },
    decisions: [],
    ...over,
  };
}
