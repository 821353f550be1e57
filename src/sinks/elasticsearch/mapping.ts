// What the elasticsearch sink installs: the composable index template (its
// settings and the explicit ECS mapping of the documents format.ts builds)
// and the optional ILM policy. Pure data; README.md documents the mapping
// field by field, so a change here is a change there.

import type { estypes } from '@elastic/elasticsearch';
import type { ElasticsearchSinkConfig } from './config.ts';

/** The ECS version the documents follow (ecs.version). */
export const ECS_VERSION = '8.17.0';

/** Bumped whenever the mapping changes; stored in the template's `version` and `_meta`. */
export const MAPPING_VERSION = 1;

// ECS's usual cap: longer values are kept in _source and full text, not in the keyword
const KEYWORD = { type: 'keyword', ignore_above: 1024 } as const;
const TEXT_AND_KEYWORD = { type: 'text', fields: { keyword: KEYWORD } } as const;

const objectRef = { properties: { api_version: KEYWORD, kind: KEYWORD, name: KEYWORD, namespace: KEYWORD, uid: KEYWORD } };

/**
 * The document mapping. `dynamic: false`: a field this mapping does not name
 * is kept in _source but never indexed, so neither a newer kubeherald (before
 * the data stream rolls over to its template) nor anything else can cause a
 * mapping conflict. Labels, annotations and detector fields are `flattened`:
 * one field each whatever their keys, so `app` next to `app.kubernetes.io/name`
 * never clashes (one would be a value, the other an object) and new keys
 * never grow the mapping.
 */
export function documentMappings(): estypes.MappingTypeMapping {
  return {
    dynamic: false,
    properties: {
      '@timestamp': { type: 'date' },
      message: TEXT_AND_KEYWORD,
      ecs: { properties: { version: KEYWORD } },
      event: {
        properties: {
          id: KEYWORD,
          kind: KEYWORD,
          action: KEYWORD,
          reason: KEYWORD,
          provider: KEYWORD,
          module: KEYWORD,
          dataset: KEYWORD,
          severity: { type: 'long' },
          created: { type: 'date' },
        },
      },
      log: { properties: { level: KEYWORD } },
      orchestrator: {
        properties: {
          type: KEYWORD,
          namespace: KEYWORD,
          cluster: { properties: { name: KEYWORD } },
          resource: {
            properties: {
              type: KEYWORD,
              name: KEYWORD,
              id: KEYWORD,
              parent: { properties: { type: KEYWORD } },
            },
          },
        },
      },
      kubernetes: {
        properties: {
          namespace: KEYWORD,
          involved_object: objectRef,
          owner: objectRef,
          pod: { properties: { name: KEYWORD, uid: KEYWORD } },
          node: { properties: { name: KEYWORD } },
          container: { properties: { name: KEYWORD } },
          deployment: { properties: { name: KEYWORD } },
          event: { properties: { type: KEYWORD } },
          labels: { type: 'flattened' },
          annotations: { type: 'flattened' },
          // stored for whoever reads the document, never indexed: objects are large and their keys unbounded
          object: { type: 'object', enabled: false },
        },
      },
      user: {
        properties: {
          name: KEYWORD,
          id: KEYWORD,
          group: { properties: { name: KEYWORD } },
        },
      },
      kubeherald: {
        properties: {
          incident_key: KEYWORD,
          title: TEXT_AND_KEYWORD,
          count: { type: 'long' },
          fields: { type: 'flattened' },
        },
      },
    },
  };
}

type TemplateOptions = Pick<ElasticsearchSinkConfig, 'dataStream' | 'templateName' | 'templatePriority' | 'ilmPolicy'>;

/** The body of `PUT _index_template/<templateName>`: matches exactly the data stream, and makes it one. */
export function indexTemplate(cfg: TemplateOptions): Omit<estypes.IndicesPutIndexTemplateRequest, 'name'> {
  return {
    index_patterns: [cfg.dataStream],
    data_stream: {},
    priority: cfg.templatePriority,
    version: MAPPING_VERSION,
    _meta: { managed_by: 'kubeherald', description: 'kubeherald notifications (ECS)', ecs_version: ECS_VERSION },
    template: {
      settings: cfg.ilmPolicy ? { 'index.lifecycle.name': cfg.ilmPolicy } : {},
      mappings: documentMappings(),
    },
  };
}

type PolicyOptions = Pick<ElasticsearchSinkConfig, 'ilmRolloverMaxAge' | 'ilmDeleteAfter'>;

/** The body of `PUT _ilm/policy/<ilmPolicy>`: roll over by age or size, delete after ilmDeleteAfter (unless ""). */
export function ilmPolicy(cfg: PolicyOptions): Omit<estypes.IlmPutLifecycleRequest, 'name'> {
  return {
    policy: {
      _meta: { managed_by: 'kubeherald' },
      phases: {
        // 50gb per primary shard is Elastic's recommended rollover size
        hot: { min_age: '0ms', actions: { rollover: { max_age: cfg.ilmRolloverMaxAge, max_primary_shard_size: '50gb' } } },
        ...(cfg.ilmDeleteAfter ? { delete: { min_age: cfg.ilmDeleteAfter, actions: { delete: {} } } } : {}),
      },
    },
  };
}
