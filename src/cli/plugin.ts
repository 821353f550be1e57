// `kubeherald plugin <type>`: one sink type served over gRPC as a separate
// process, with its credentials in its own environment, until SIGTERM or
// SIGINT (then it finishes what it is sending and exits 0). A bad config or
// a missing credential stops it before it listens, and so does listening off
// the loopback without mutual TLS (unless --insecure).
// `kubeherald plugin certs`: the CA and certificates that mutual TLS takes.

import type { Command } from 'commander';
import { createLogger } from '../app/log.ts';
import { join } from 'node:path';
import { isLoopbackHost, parseHostPort } from '../plugin/address.ts';
import { type CertsOptions, issueCerts, readCa } from '../plugin/certs.ts';
import { type PluginSettings, parsePluginSettings, pluginType, readPluginSettingsFile } from '../plugin/config.ts';
import { SINK_TYPE_INFO } from '../plugin/catalog.ts';
import { sinkDescriptor } from '../sinks/registry.ts';
import { startRegistration, type Registration } from '../plugin/register.ts';
import { DEFAULT_MAX_MESSAGE_BYTES, listenRefusal, PACKAGE_VERSION, type PluginServer, type PluginTlsFiles, startPluginServer } from '../plugin/server.ts';

interface PluginFlags {
  listen: string;
  config?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  tlsDir?: string;
  insecure?: boolean;
  healthListen?: string;
  maxMessageBytes?: string;
  register?: string;
  advertise?: string;
  registerCa?: string;
  registerTlsDir?: string;
  instanceId?: string;
  graceSeconds: string;
  logLevel?: string;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];

/** "a, b or c": the help's list of the registry's plugin types. */
const orList = (xs: readonly string[]): string => (xs.length > 1 ? `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}` : xs.join(''));

/** One line per type a plugin can serve: its name and what it does, from its descriptor. */
function sinkTypesHelp(): string {
  const types = Object.keys(SINK_TYPE_INFO);
  const width = Math.max(...types.map((t) => t.length));
  return types
    .map((t) => {
      const docs = sinkDescriptor(t)?.docs;
      return `  ${t.padEnd(width)}  ${docs ? `${docs.title}: ${docs.summary}` : ''}`;
    })
    .join('\n');
}

/** The TLS files the flags name: --tls-dir (a mounted cert-manager-style Secret: tls.crt, tls.key, ca.crt) or the single files. */
export function tlsFilesOf(f: Pick<PluginFlags, 'tlsDir' | 'tlsCert' | 'tlsKey' | 'tlsClientCa'>): PluginTlsFiles | undefined {
  if (f.tlsDir) return { certFile: join(f.tlsDir, 'tls.crt'), keyFile: join(f.tlsDir, 'tls.key'), clientCaFile: join(f.tlsDir, 'ca.crt') };
  if (f.tlsCert && f.tlsKey) return { certFile: f.tlsCert, keyFile: f.tlsKey, ...(f.tlsClientCa ? { clientCaFile: f.tlsClientCa } : {}) };
  return undefined;
}

/** The flags checked together, before anything is read or opened; an Error naming the flag otherwise. */
export function checkPluginFlags(f: PluginFlags): { graceMs: number; logLevel: string; maxMessageBytes: number } {
  const listen = parseHostPort(f.listen, '--listen', { allowAnyHost: true, allowPortZero: true });
  if (f.tlsDir && (f.tlsCert || f.tlsKey || f.tlsClientCa)) throw new Error('--tls-dir holds tls.crt, tls.key and ca.crt: give it, or --tls-cert/--tls-key/--tls-client-ca, not both');
  if (!f.tlsCert !== !f.tlsKey) throw new Error(`${f.tlsCert ? '--tls-cert' : '--tls-key'} needs ${f.tlsCert ? '--tls-key' : '--tls-cert'} too`);
  if (f.tlsClientCa && !f.tlsCert) throw new Error('--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key');
  const refusal = listenRefusal(listen.host, tlsFilesOf(f), f.insecure === true);
  if (refusal) throw new Error(`--listen ${f.listen}: ${refusal}`);
  if (f.healthListen) parseHostPort(f.healthListen, '--health-listen', { allowAnyHost: true, allowPortZero: true });
  const maxMessageBytes = f.maxMessageBytes === undefined ? DEFAULT_MAX_MESSAGE_BYTES : Number(f.maxMessageBytes);
  if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 1024) throw new Error(`--max-message-bytes: expected an integer ≥ 1024, got ${JSON.stringify(f.maxMessageBytes)}`);
  if (f.advertise && !f.register) throw new Error('--advertise is for --register: the address given to the registry');
  if (f.register) {
    if (!/^https?:\/\/[^\s/]+/.test(f.register)) throw new Error(`--register ${JSON.stringify(f.register)}: expected the registry's URL, http://host:port or https://host:port`);
    if (!f.advertise) throw new Error('--register needs --advertise host:port: the address routers reach this plugin at');
    parseHostPort(f.advertise, '--advertise');
  }
  if ((f.registerCa || f.registerTlsDir) && !f.register) throw new Error(`${f.registerCa ? '--register-ca' : '--register-tls-dir'} is for --register`);
  const grace = Number(f.graceSeconds);
  if (!Number.isInteger(grace) || grace < 0) throw new Error(`--grace-seconds: expected an integer ≥ 0, got ${JSON.stringify(f.graceSeconds)}`);
  const logLevel = f.logLevel ?? (process.env.KUBEHERALD_LOG_LEVEL || 'info');
  if (!LEVELS.includes(logLevel)) throw new Error(`--log-level: expected one of ${LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  return { graceMs: grace * 1000, logLevel, maxMessageBytes };
}

/** The plugin's sink and allow-list: the file's (or all defaults), and what the environment gives over them (the type's envOverride: the webhook's KUBEHERALD_WEBHOOKS over its URLs, as `run` does). */
async function pluginConfig(typeName: string, file: string | undefined, env: NodeJS.ProcessEnv): Promise<PluginSettings> {
  const type = pluginType(typeName);
  const settings = file ? await readPluginSettingsFile(type, file) : parsePluginSettings(type, {}, { file: 'defaults (no --config)' });
  const cfg = settings.sink;
  const override = sinkDescriptor(cfg.type)?.envOverride?.(env);
  if (override) return { ...settings, sink: parsePluginSettings(type, { ...cfg, ...override.values }, { file: override.source }).sink };
  return settings;
}

interface CertsFlags {
  out: string;
  namespace: string;
  plugin: string[];
  client: string[];
  dns: string[];
  days: string;
  caCert?: string;
  caKey?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

export function registerPlugin(program: Command): void {
  const plugin = program.command('plugin').description('sink plugins: serve one sink type over gRPC (plugin <type>), or issue their certificates (plugin certs)');
  plugin
    .command('certs')
    .description('issue a CA and the certificates for mutual TLS between kubeherald and its plugins, as cert-manager-style directories (tls.crt, tls.key, ca.crt)')
    .requiredOption('--out <dir>', 'where to write: ca.crt (and ca.key), kubeherald/, plugin-<type>/ …')
    .option('--namespace <ns>', 'namespace of the plugin Services (their DNS names go in the server certificates)', 'kubeherald')
    .option('--plugin <type>', 'a plugin type to issue a server certificate for (Service kubeherald-plugin-<type>); repeat or comma-separate', collect, [] as string[])
    .option('--client <name>', 'an extra client certificate (e.g. for a plugin outside Kubernetes registering with the Registry); repeat', collect, [] as string[])
    .option('--dns <name>', 'an extra DNS name or IP address for every server certificate; repeat', collect, [] as string[])
    .option('--days <n>', 'validity of the certificates (the CA gets ten times that)', '365')
    .option('--ca-cert <file>', 'sign with this existing CA certificate instead of a new CA (with --ca-key)')
    .option('--ca-key <file>', "the existing CA's private key")
    .action(async (f: CertsFlags) => {
      if (!f.caCert !== !f.caKey) throw new Error('--ca-cert and --ca-key go together');
      const opts: CertsOptions = {
        out: f.out,
        namespace: f.namespace,
        plugins: f.plugin.length ? f.plugin : ['slack'],
        clients: f.client,
        extraNames: f.dns,
        days: Number(f.days),
        ...(f.caCert && f.caKey ? { ca: readCa(f.caCert, f.caKey) } : {}),
      };
      const r = await issueCerts(opts);
      const lines = [`CA certificate: ${r.caCertFile}`];
      if (r.caKeyFile) lines.push(`CA key: ${r.caKeyFile} (keep it off the cluster: it can mint certificates every plugin trusts)`);
      lines.push('', 'Create the Secrets (each directory holds tls.crt, tls.key and ca.crt, as cert-manager writes them):');
      for (const i of r.issued) {
        const secret = i.role === 'kubeherald' ? 'kubeherald-plugin-client-tls' : i.role === 'plugin' ? `kubeherald-plugin-${i.name}-tls` : `kubeherald-client-${i.name}-tls`;
        lines.push(`  kubectl -n ${f.namespace} create secret generic ${secret} --from-file=${i.dir}`);
      }
      process.stdout.write(lines.join('\n') + '\n');
    });

  plugin
    .command('serve', { isDefault: true })
    .argument('<type>', `the sink type to serve: ${orList(Object.keys(SINK_TYPE_INFO))}`)
    .description('serve one sink type as a gRPC plugin (kubeherald.v1.SinkPlugin) for routers to deliver through (`plugin <type>` for short)')
    .addHelpText('after', `\nSink types:\n${sinkTypesHelp()}`)
    .requiredOption('--listen <host:port>', 'where to serve ("0.0.0.0:50051" is every interface, ":50051" the loopback; port 0 picks a free one); off the loopback it needs mutual TLS or --insecure')
    .option('-c, --config <file>', 'YAML with the keys of one `sinks:` entry (name and type optional) and `allow:` (what a delivery may choose); credentials from this process\'s environment or files')
    .option('--tls-dir <dir>', 'mutual TLS from a mounted cert-manager-style Secret: tls.crt, tls.key and ca.crt (the CA that signs callers)')
    .option('--tls-cert <file>', 'serve TLS with this certificate (PEM)')
    .option('--tls-key <file>', 'the certificate\'s private key (PEM)')
    .option('--tls-client-ca <file>', 'mutual TLS: refuse clients without a certificate signed by this CA')
    .option('--insecure', 'serve off the loopback without client certificates (anyone who can reach the port can send through it; warned at every start)')
    .option('--health-listen <host:port>', 'also serve grpc.health.v1 alone, in plaintext, here (for kubelet gRPC probes, which cannot present a certificate)')
    .option('--max-message-bytes <n>', 'largest gRPC message read or written', String(DEFAULT_MAX_MESSAGE_BYTES))
    .option('--register <url>', 'register with this kubeherald Registry (http(s)://host:port) and heartbeat')
    .option('--advertise <host:port>', 'the address given to the registry')
    .option('--register-ca <file>', 'CA that signed the registry\'s certificate (--tls-cert/--tls-key are offered as the client certificate)')
    .option('--register-tls-dir <dir>', 'client certificate for the registry from a cert-manager-style directory (tls.crt, tls.key, ca.crt; `plugin certs --client`)')
    .option('--instance-id <id>', 'the id given to the registry (default <type>-<hostname>-<advertise>)')
    .option('--grace-seconds <n>', 'on SIGTERM, how long to wait for deliveries in flight', '30')
    .option('--log-level <level>', 'trace, debug, info, warn or error (default $KUBEHERALD_LOG_LEVEL, else info)')
    .action(async (type: string, flags: PluginFlags) => {
      const { graceMs, logLevel, maxMessageBytes } = checkPluginFlags(flags);
      const { sink: base, allow } = await pluginConfig(type, flags.config, process.env);
      const tls = tlsFilesOf(flags);
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
        base: { ...(base as unknown as Record<string, unknown>), allow },
        listen: flags.listen,
        tls,
        insecure: flags.insecure === true,
        maxMessageBytes,
        ...(flags.healthListen ? { healthListen: flags.healthListen } : {}),
        log,
        graceMs,
      });
      // always written, whatever the level: with port 0 it is the only way to learn the address
      log.child({}, { level: 'info' }).info(
        { address: server.address, healthAddress: server.healthAddress, type: base.type, sink: base.name, version: PACKAGE_VERSION, tls: Boolean(tls), mutualTls: Boolean(tls?.clientCaFile), loopback: isLoopbackHost(parseHostPort(flags.listen, '--listen', { allowAnyHost: true, allowPortZero: true }).host) },
        'plugin listening',
      );
      if (flags.register && flags.advertise) {
        registration = startRegistration({
          registryUrl: flags.register,
          type: base.type,
          advertise: flags.advertise,
          instanceId: flags.instanceId,
          version: PACKAGE_VERSION,
          tls: !flags.register.startsWith('https:')
            ? undefined
            : flags.registerTlsDir
              ? { caFile: flags.registerCa ?? join(flags.registerTlsDir, 'ca.crt'), certFile: join(flags.registerTlsDir, 'tls.crt'), keyFile: join(flags.registerTlsDir, 'tls.key') }
              : { caFile: flags.registerCa ?? tls?.clientCaFile, certFile: tls?.certFile, keyFile: tls?.keyFile },
          log,
        });
      }
    });
}
