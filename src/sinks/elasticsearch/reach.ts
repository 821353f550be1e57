// `kubeherald doctor` for an Elasticsearch sink: a HEAD of its first node.

import type { ReachVerdict } from '../descriptor.ts';
import type { ElasticsearchSinkConfig } from './config.ts';

export async function reachElasticsearch(s: ElasticsearchSinkConfig): Promise<ReachVerdict> {
  const node = s.nodes[0];
  const r = await fetch(node, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
  return { verdict: r.ok ? 'OK' : 'FAIL', detail: `ping ${new URL(node).origin}: HTTP ${r.status}` };
}
