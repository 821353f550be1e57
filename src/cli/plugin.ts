// `kubeherald plugin <type>`: one sink type served over gRPC as a separate
// process, with its credentials in its own environment, until SIGTERM or
// SIGINT (then it finishes what it is sending and exits 0). A bad config or
// a missing credential stops it before it listens.

import type { Command } from 'commander';
import { createLogger } from '../app/log.ts';
import type { SinkConfig } from '../config/schema.ts';
import { parseHostPort } from '../plugin/address.ts';
import { parsePluginConfig, pluginType, readPluginConfigFile } from '../plugin/config.ts';
import { startRegistration, type Registration } from '../plugin/register.ts';
import { PACKAGE_VERSION, type PluginServer, startPluginServer } from '../plugin/server.ts';
import { webhookUrlsOverride } from '../sinks/webhook/config.ts';

interface PluginFlags {
  listen: string;
  config?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  register?: string;
  advertise?: string;
  registerCa?: string;
  instanceId?: string;
  graceSeconds: string;
  logLevel?: string;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];

/** The flags checked together, before anything is read or opened; an Error naming the flag otherwise. */
export function checkPluginFlags(f: PluginFlags): { graceMs: number; logLevel: string } {
  parseHostPort(f.listen, '--listen', { allowAnyHost: true, allowPortZero: true });
  if (!f.tlsCert !== !f.tlsKey) throw new Error(`${f.tlsCert ? '--tls-cert' : '--tls-key'} needs ${f.tlsCert ? '--tls-key' : '--tls-cert'} too`);
  if (f.tlsClientCa && !f.tlsCert) throw new Error('--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key');
  if (f.advertise && !f.register) throw new Error('--advertise is for --register: the address given to the registry');
  if (f.register) {
    if (!/^https?:\/\/[^\s/]+/.test(f.register)) throw new Error(`--register ${JSON.stringify(f.register)}: expected the registry's URL, http://host:port or https://host:port`);
    if (!f.advertise) throw new Error('--register needs --advertise host:port: the address routers reach this plugin at');
    parseHostPort(f.advertise, '--advertise');
  }
  if (f.registerCa && !f.register) throw new Error('--register-ca is for --register');
  const grace = Number(f.graceSeconds);
  if (!Number.isInteger(grace) || grace < 0) throw new Error(`--grace-seconds: expected an integer ≥ 0, got ${JSON.stringify(f.graceSeconds)}`);
  const logLevel = f.logLevel ?? (process.env.KUBEHERALD_LOG_LEVEL || 'info');
  if (!LEVELS.includes(logLevel)) throw new Error(`--log-level: expected one of ${LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  return { graceMs: grace * 1000, logLevel };
}

/** The plugin's sink: the file's entry (or all defaults), and for webhook KUBEHERALD_WEBHOOKS over its URLs, as `run` does. */
async function pluginConfig(typeName: string, file: string | undefined, env: NodeJS.ProcessEnv): Promise<SinkConfig> {
  const type = pluginType(typeName);
  let cfg = file ? await readPluginConfigFile(type, file) : parsePluginConfig(type, {}, { file: 'defaults (no --config)' });
  if (cfg.type === 'webhook') {
    const override = webhookUrlsOverride(env);
    if (override) cfg = parsePluginConfig(type, { ...cfg, urls: override.urls }, { file: override.source });
  }
  return cfg;
}

export function registerPlugin(program: Command): void {
  program
    .command('plugin')
    .argument('<type>', 'the sink type to serve: console, jsonl, slack, telegram, elasticsearch, teams, dingtalk or webhook')
    .description('serve one sink type as a gRPC plugin (kubeherald.v1.SinkPlugin) for routers to deliver through')
    .requiredOption('--listen <host:port>', 'where to serve (":50051" is every interface; port 0 picks a free one)')
    .option('-c, --config <file>', 'YAML with the keys of one `sinks:` entry (name and type optional); credentials from this process\'s environment or files')
    .option('--tls-cert <file>', 'serve TLS with this certificate (PEM)')
    .option('--tls-key <file>', 'the certificate\'s private key (PEM)')
    .option('--tls-client-ca <file>', 'mutual TLS: refuse clients without a certificate signed by this CA')
    .option('--register <url>', 'register with this kubeherald Registry (http(s)://host:port) and heartbeat')
    .option('--advertise <host:port>', 'the address given to the registry')
    .option('--register-ca <file>', 'CA that signed the registry\'s certificate (--tls-cert/--tls-key are offered as the client certificate)')
    .option('--instance-id <id>', 'the id given to the registry (default <type>-<hostname>-<advertise>)')
    .option('--grace-seconds <n>', 'on SIGTERM, how long to wait for deliveries in flight', '30')
    .option('--log-level <level>', 'trace, debug, info, warn or error (default $KUBEHERALD_LOG_LEVEL, else info)')
    .action(async (type: string, flags: PluginFlags) => {
      const { graceMs, logLevel } = checkPluginFlags(flags);
      const base = await pluginConfig(type, flags.config, process.env);
      const format = process.env.KUBEHERALD_LOG_FORMAT === 'pretty' ? 'pretty' : 'json';
      const log = createLogger('kubeherald', logLevel, format).child({ plugin: base.type });

      let server: PluginServer | undefined;
      let registration: Registration | undefined;
      let stopping = false;
      const stop = async (signal: string): Promise<void> => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'plugin: stopping');
        try {
          // first out of the registry, so routers stop choosing this instance while it drains
          await registration?.stop();
          await server?.close();
        } catch (err) {
          log.error({ err: (err as Error).message }, 'plugin: shutdown failed');
          process.exit(1);
        }
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));

      server = await startPluginServer({
        type: base.type,
        base: base as unknown as Record<string, unknown>,
        listen: flags.listen,
        tls: flags.tlsCert && flags.tlsKey ? { certFile: flags.tlsCert, keyFile: flags.tlsKey, clientCaFile: flags.tlsClientCa } : undefined,
        log,
        graceMs,
      });
      // always written, whatever the level: with port 0 it is the only way to learn the address
      log.child({}, { level: 'info' }).info({ address: server.address, type: base.type, sink: base.name, version: PACKAGE_VERSION, tls: Boolean(flags.tlsCert), mutualTls: Boolean(flags.tlsClientCa) }, 'plugin listening');
      if (flags.register && flags.advertise) {
        registration = startRegistration({
          registryUrl: flags.register,
          type: base.type,
          advertise: flags.advertise,
          instanceId: flags.instanceId,
          version: PACKAGE_VERSION,
          tls: flags.register.startsWith('https:') ? { caFile: flags.registerCa, certFile: flags.tlsCert, keyFile: flags.tlsKey } : undefined,
          log,
        });
      }
    });
}
