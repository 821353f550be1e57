// The elasticsearch sink's I/O, through the official client: building the
// client from the config (credentials from the environment), installing the
// ILM policy and index template, and writing documents with the bulk helper
// as `create` actions into the data stream.

import { readFileSync } from 'node:fs';
import { Client, type TransportRequestOptions } from '@elastic/elasticsearch';
import type { UndiciAgentOptions } from '@elastic/transport';
import type { EgressPolicy } from '../egress.ts';
import { ConfigError } from '../../config-kit/errors.ts';
import { type CredentialRef, readCredential } from '../credential.ts';
import { SinkError } from '../types.ts';
import { type BulkItemResult, classifyItem, classifyRequestError, type Outcome } from './classify.ts';
import { type ElasticsearchSinkConfig, templateNameOf } from './config.ts';
import type { Document } from './format.ts';
import { ilmPolicy, indexTemplate } from './mapping.ts';

export interface BulkEntry {
  /** the document's _id: unique within one call */
  id: string;
  doc: Document;
}

export interface BulkResult {
  /** one per entry, in order */
  outcomes: Outcome[];
  /** an item failed because the data stream does not exist and cannot be created: the template is missing */
  missingDataStream: boolean;
}

export interface ClusterInfo {
  /** e.g. "9.1.0"; undefined when the credentials may not read it */
  version?: string;
  clusterName?: string;
}

/**
 * The client for one sink. Throws a ConfigError when a credential or the CA
 * file cannot be read: nothing can be sent until that is fixed. The client retries a failed request once on each other node
 * (no waiting) and leaves every further retry, with backoff, to the caller.
 */
export function createClient(cfg: ElasticsearchSinkConfig, env: NodeJS.ProcessEnv, prefix: string, egress?: EgressPolicy): Client {
  let auth: NonNullable<ConstructorParameters<typeof Client>[0]>['auth'];
  const read = (key: string, ref: CredentialRef): string => readCredential(ref, { owner: prefix, key, env });
  if (cfg.apiKeyFrom) auth = { apiKey: read('apiKeyFrom', cfg.apiKeyFrom) };
  else if (cfg.usernameFrom && cfg.passwordFrom) auth = { username: read('usernameFrom', cfg.usernameFrom), password: read('passwordFrom', cfg.passwordFrom) };
  let ca: string | undefined;
  if (cfg.caFile) {
    try {
      ca = readFileSync(cfg.caFile, 'utf8');
    } catch (err) {
      throw new ConfigError([{ file: cfg.caFile, path: '', message: `${prefix} (caFile): cannot read: ${(err as Error).message}` }]);
    }
  }
  return new Client({
    nodes: cfg.nodes,
    ...(auth ? { auth } : {}),
    ...(ca ? { tls: { ca } } : {}),
    maxRetries: cfg.nodes.length - 1,
    requestTimeout: cfg.timeoutSeconds * 1000,
    name: `kubeherald-${cfg.name}`,
    // a namespaced Sink's node: every connection checked against the egress policy (its CR has no caFile, which would replace connect)
    ...(egress ? { agent: { connect: egress.connect } as UndiciAgentOptions } : {}),
  });
}

/**
 * Request headers for the configured compatibility: the client speaks 9 by
 * default, and Elasticsearch 8.x refuses that unless told compatible-with=8.
 */
export function compatHeaders(compatibleWith: 8 | 9, body: 'json' | 'ndjson'): Record<string, string> {
  if (compatibleWith === 9) return {};
  const json = 'application/vnd.elasticsearch+json; compatible-with=8';
  return { accept: json, 'content-type': body === 'json' ? json : 'application/vnd.elasticsearch+x-ndjson; compatible-with=8' };
}

function requestOptions(cfg: ElasticsearchSinkConfig, body: 'json' | 'ndjson'): TransportRequestOptions {
  // a fresh object each time: the bulk helper adds its own header to the one it is given
  return { headers: compatHeaders(cfg.compatibleWith, body) };
}

/**
 * Checks the cluster (`GET /`: reachable, really Elasticsearch, a supported
 * version) and, with manageTemplate, installs the ILM policy and the index
 * template. Both PUTs overwrite what is there, so this is safe at every start.
 * Throws a SinkError saying which step failed.
 */
export async function prepareCluster(client: Client, cfg: ElasticsearchSinkConfig, prefix: string): Promise<ClusterInfo> {
  const info: ClusterInfo = {};
  try {
    const res = await client.info({}, requestOptions(cfg, 'json'));
    info.version = res.version?.number;
    info.clusterName = res.cluster_name;
  } catch (err) {
    // a key that may only write cannot read GET / (cluster:monitor/main): not a reason to stop
    if ((err as { statusCode?: number }).statusCode !== 403) throw classifyRequestError(`${prefix}: cannot reach the cluster`, err, Date.now());
  }
  // 8.13 brought require_data_stream, which the writes depend on
  const [major, minor] = (info.version ?? '').split('.').map(Number);
  if (info.version && (major < 8 || (major === 8 && minor < 13))) {
    throw new SinkError(`${prefix}: Elasticsearch ${info.version} is not supported (8.13 or later is needed)`, { kind: 'permanent' });
  }
  if (!cfg.manageTemplate) return info;
  if (cfg.ilmPolicy) {
    try {
      await client.ilm.putLifecycle({ name: cfg.ilmPolicy, ...ilmPolicy(cfg) }, requestOptions(cfg, 'json'));
    } catch (err) {
      throw classifyRequestError(`${prefix}: cannot install ILM policy ${cfg.ilmPolicy}`, err, Date.now());
    }
  }
  const name = templateNameOf(cfg);
  try {
    await client.indices.putIndexTemplate({ name, ...indexTemplate(cfg) }, requestOptions(cfg, 'json'));
  } catch (err) {
    throw classifyRequestError(`${prefix}: cannot install index template ${name}`, err, Date.now());
  }
  return info;
}

/**
 * Writes the entries as `create` actions into the data stream through the
 * bulk helper, and says what became of each. The helper does not retry:
 * a rejected item comes back rate-limited and the caller decides when to
 * try again. `require_data_stream` keeps a missing template from silently
 * creating a plain index with a guessed mapping.
 */
export async function bulkCreate(client: Client, cfg: ElasticsearchSinkConfig, entries: BulkEntry[], prefix: string, signal?: AbortSignal): Promise<BulkResult> {
  const byId = new Map<string, Outcome>();
  let missingDataStream = false;
  let requestError: SinkError | undefined;
  try {
    await client.helpers.bulk<BulkEntry>(
      {
        datasource: entries,
        onDocument: (e) => [{ create: { _index: cfg.dataStream, _id: e.id } }, e.doc],
        require_data_stream: true,
        retries: 0,
        onDrop: (d) => {
          const id = (d.operation as { create?: { _id?: string } }).create?._id;
          const item: BulkItemResult = { status: d.status, error: d.error };
          if (d.status === 404) missingDataStream = true;
          if (id !== undefined) byId.set(id, classifyItem(prefix, item));
        },
        onSuccess: ({ result }) => {
          const id = result.create?._id;
          if (id) byId.set(id, { status: 'indexed' });
        },
      },
      { ...requestOptions(cfg, 'ndjson'), ...(signal ? { signal } : {}) },
    );
  } catch (err) {
    requestError = classifyRequestError(prefix, err, Date.now());
  }
  const outcomes = entries.map(
    (e): Outcome =>
      byId.get(e.id) ?? {
        status: 'failed',
        error: requestError ?? new SinkError(`${prefix}: no result for document ${e.id} in the bulk response`, { kind: 'retryable' }),
      },
  );
  return { outcomes, missingDataStream };
}
