// The sink registry is the only list of sink types: each descriptor is
// consistent with its own schema, what is derived from the list (the config
// schema, the CRD enum, the plugin catalog, the CLI help, the docs) names
// every type, and no product file outside a type's folder names one.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { z } from 'zod';
import { registerPlugin } from '../../src/cli/plugin.ts';
import { parseConfigText, SINK_TYPES as CONFIG_SINK_TYPES } from '../../src/config/index.ts';
import { sinkSpecSchema } from '../../src/crd/schemas.ts';
import { SINK_TYPE_INFO } from '../../src/plugin/catalog.ts';
import { createSink } from '../../src/sinks/index.ts';
import { SINK_DESCRIPTORS, sinkDescriptor, SINK_TYPES, withResolvedPaths } from '../../src/sinks/registry.ts';

const root = new URL('../../', import.meta.url).pathname;
const docs = readFileSync(join(root, 'docs/config.md'), 'utf8');

/** The keys a sink entry's schema takes (its input shape). */
function schemaKeys(schema: z.ZodType): string[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as { properties?: Record<string, unknown> };
  return Object.keys(json.properties ?? {});
}

describe('the sink registry', () => {
  it('lists each type once, and each descriptor is its own schema’s type', () => {
    assert.equal(new Set(SINK_TYPES).size, SINK_TYPES.length);
    for (const d of SINK_DESCRIPTORS) {
      const json = z.toJSONSchema(d.schema, { io: 'input', unrepresentable: 'any' }) as unknown as { properties: { type: { const?: string; enum?: string[] } } };
      assert.deepEqual(json.properties.type.const ?? json.properties.type.enum?.[0], d.type, `${d.type}: its schema's type literal`);
      assert.equal(sinkDescriptor(d.type), d);
    }
    assert.equal(sinkDescriptor('no-such-type'), undefined);
  });

  it('names in each descriptor only keys its schema has', () => {
    for (const d of SINK_DESCRIPTORS) {
      const keys = new Set(schemaKeys(d.schema));
      const named = [
        ...Object.keys(d.customResource.fieldOf).map((k) => ['customResource.fieldOf', k]),
        ...(d.plugin?.pinnedKeys ?? []).map((k) => ['plugin.pinnedKeys', k]),
        ...(d.plugin?.targetOption ? [['plugin.targetOption', d.plugin.targetOption]] : []),
        ...(d.filePaths ?? []).map((k) => ['filePaths', k]),
      ];
      for (const [where, key] of named) assert.ok(keys.has(key), `${d.type}: ${where} names ${JSON.stringify(key)}, which its schema does not take (${[...keys].join(', ')})`);
    }
  });

  it('is what the config file, the Sink custom resource and the plugin catalog accept', () => {
    assert.deepEqual([...CONFIG_SINK_TYPES], [...SINK_TYPES]);
    const crTypes = (z.toJSONSchema(sinkSpecSchema, { io: 'input', unrepresentable: 'any' }) as unknown as { properties: { type: { enum: string[] } } }).properties.type.enum;
    assert.deepEqual(crTypes, [...SINK_TYPES]);
    // every type a plugin can host, which is every type but the plugin sink itself
    assert.deepEqual(Object.keys(SINK_TYPE_INFO), SINK_TYPES.filter((t) => t !== 'plugin'));
    // a type the registry does not have is refused, naming the registry's
    assert.throws(() => parseConfigText('sinks: [{ name: a, type: carrier-pigeon }]', 'x.yaml'), (err: Error) => SINK_TYPES.every((t) => err.message.includes(t)));
  });

  it('documents in the Sink CRD each target field and credential with the types that take it', () => {
    const spec = z.toJSONSchema(sinkSpecSchema, { io: 'input', unrepresentable: 'any' }) as unknown as {
      properties: { target: { properties: Record<string, { description: string }> }; credentials: { properties: Record<string, { description: string }> } };
    };
    for (const d of SINK_DESCRIPTORS) {
      const m = d.customResource;
      const fields = [...m.target.required, ...m.target.optional].map((f) => spec.properties.target.properties[f]);
      const creds = [...m.required, ...m.optional, ...(m.oneOf ?? []).flat()].map((c) => spec.properties.credentials.properties[c]);
      for (const f of [...fields, ...creds]) assert.ok(f.description.includes(d.docs.title), `${d.type}: ${JSON.stringify(f.description)} should name ${d.docs.title}`);
      for (const [field, what] of Object.entries(m.docs ?? {})) {
        const described = spec.properties.target.properties[field] ?? spec.properties.credentials.properties[field];
        assert.ok(described.description.includes(`${d.docs.title}: ${what}`), `${d.type}: ${field}`);
      }
    }
  });

  it('builds a sink through its descriptor, and refuses a type it does not know', async () => {
    const sink = await createSink(parseConfigText('sinks: [{ name: out, type: console, color: never }]', 'x').sinks[0]);
    try {
      assert.equal(typeof sink.send, 'function');
    } finally {
      await sink.close?.();
    }
    await assert.rejects(createSink({ name: 'x', type: 'carrier-pigeon' } as never), /unknown sink type "carrier-pigeon"/);
  });

  it('resolves a type’s file paths, and leaves stdout and other types alone', () => {
    const jsonl = { name: 'a', type: 'jsonl', path: 'out/n.jsonl' };
    assert.deepEqual(withResolvedPaths(jsonl, (p) => `/etc/kh/${p}`), { ...jsonl, path: '/etc/kh/out/n.jsonl' });
    const stdout = { name: 'a', type: 'jsonl', path: '-' };
    assert.equal(withResolvedPaths(stdout, (p) => `/etc/kh/${p}`), stdout);
    const slack = { name: 'a', type: 'slack', path: 'not-a-file-of-slack' };
    assert.equal(withResolvedPaths(slack, (p) => `/etc/kh/${p}`), slack);
  });

  it('gives a webhook plugin KUBEHERALD_WEBHOOKS over its URLs, and other types nothing', () => {
    const webhook = sinkDescriptor('webhook')!;
    assert.deepEqual(webhook.envOverride?.({ KUBEHERALD_WEBHOOKS: 'https://a.example/h, https://b.example/h' }), { source: 'KUBEHERALD_WEBHOOKS', values: { urls: ['https://a.example/h', 'https://b.example/h'] } });
    assert.equal(webhook.envOverride?.({ KUBEHERALD_WEBHOOKS: ' ' }), undefined);
    assert.deepEqual(
      SINK_DESCRIPTORS.filter((d) => d.envOverride).map((d) => d.type),
      ['webhook'],
    );
  });

  it('is what `kubeherald plugin <type>` offers in its help', () => {
    const program = new Command();
    registerPlugin(program);
    const serve = program.commands.find((c) => c.name() === 'plugin')!.commands.find((c) => c.name() === 'serve')!;
    const help = serve.helpInformation();
    for (const t of Object.keys(SINK_TYPE_INFO)) assert.match(help, new RegExp(`\\b${t}\\b`), `plugin help lacks ${t}`);
  });

  it('is what docs/config.md lists: every type in sinks[].type, each with its own section', () => {
    const row = docs.split('\n').find((l) => l.startsWith('| `sinks[].type` |'));
    const cell = SINK_TYPES.map((t) => `\`${t}\``).join(' \\| ');
    assert.ok(row?.includes(`| ${cell} |`), `docs/config.md's sinks[].type row should list the registry's types: ${cell}`);
    const sections = [...docs.matchAll(/^### Sink type `([a-z0-9-]+)`/gm)].map((m) => m[1]);
    assert.deepEqual([...sections].sort(), [...SINK_TYPES].sort(), 'a "### Sink type `<type>`" section per type, and none for a type the registry lacks');
  });

  it('is the only list: no product file outside a type’s folder names a sink type', () => {
    // types whose names mean nothing else in the product (slack, telegram and console are also chat
    // platforms, webhook a Telegram mode, plugin a sink kind of its own)
    const distinct = SINK_TYPES.filter((t) => !['slack', 'telegram', 'console', 'webhook', 'plugin'].includes(t));
    const files = (readdirSync(join(root, 'src'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !/^(gen|sim)\//.test(f));
    const found: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(root, 'src', f), 'utf8');
      for (const t of distinct) {
        if (f.startsWith(`sinks/${t}/`) || f === 'sinks/registry.ts') continue;
        // a quoted name or an object key: 'dingtalk', "dingtalk", `dingtalk`, dingtalk: …
        if (new RegExp(`['"\`]${t}['"\`]|\\b${t}:\\s`).test(text)) found.push(`${relative(root, join(root, 'src', f))} names ${t}`);
      }
    }
    assert.deepEqual(found, []);
  });
});
