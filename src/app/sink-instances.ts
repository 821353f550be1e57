// The running sink instances behind the routing hub: the config file's
// ("config/<name>") and the custom resources' ("Sink/<ns>/<name>",
// "ClusterSink/<name>"). An instance is rebuilt only when the config and
// credentials it was built from change (compared by a fingerprint), and one
// nothing serves any more is retired once its sends finish.

import { createHash } from 'node:crypto';
import { type Config, ConfigError } from '../config/index.ts';
import type { ResolvedSink } from '../crd/controller.ts';
import type { FieldProblem } from '../crd/schemas.ts';
import type { Logger } from '../model/logger.ts';
import { sinkId } from '../rules/index.ts';
import { redact } from '../sinks/credential.ts';
import type { EgressPolicy } from '../sinks/egress.ts';
import type { createSink } from '../sinks/index.ts';
import type { Sink, SinkDeps } from '../sinks/types.ts';
import { sinkConfigFromResolved } from './crd-sinks.ts';
import { TrackedSink } from './tracked-sink.ts';

export type CreateSink = (cfg: Parameters<typeof createSink>[0], deps: SinkDeps) => Promise<Sink>;

export interface Entry {
  fingerprint: string;
  sink: TrackedSink;
}

export interface SinkInstancesOptions {
  create: CreateSink;
  log: Logger;
  stdout?: NodeJS.WritableStream;
  /** what config sinks read `{env: …}` credentials from (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** what namespaced Sinks may reach */
  egress: EgressPolicy;
  /** named in the errors of config sinks that cannot start */
  configFile?: string;
  /** the instance serving an id now: where a retired instance forwards its late sends */
  current: (id: string) => TrackedSink | undefined;
  /** a custom-resource sink's problems now (none: it is usable) */
  report: (id: string, problems: readonly FieldProblem[]) => void;
}

// what a console sink made from a custom resource may still read of the process environment
const TERMINAL_ENV = ['NO_COLOR', 'FORCE_COLOR', 'TERM'];

export const fingerprint = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');

export class SinkInstances {
  #o: SinkInstancesOptions;
  #config = new Map<string, Entry>();
  #custom = new Map<string, Entry>();
  /** instances put in force (or committed by a reload) and not retired; ones being built are not here */
  #open = new Set<TrackedSink>();
  #retiring = new Set<Promise<void>>();

  constructor(o: SinkInstancesOptions) {
    this.#o = o;
  }

  /**
   * The config's sinks, reusing the current instances whose config is
   * unchanged. All or nothing: on a failure the new instances are closed and
   * a ConfigError naming the sink is thrown. Nothing changes until commitConfig.
   */
  async buildConfig(config: Config): Promise<Map<string, Entry>> {
    const current = this.#config;
    const next = new Map<string, Entry>();
    const created: TrackedSink[] = [];
    const results = await Promise.allSettled(
      config.sinks.map(async (cfg) => {
        const id = sinkId({ kind: 'config', name: cfg.name });
        // delivery settings are read per delivery (policies): a change to them alone keeps the running sink and its state
        const fp = fingerprint({ ...cfg, delivery: undefined });
        const have = current.get(id);
        if (have && have.fingerprint === fp) return next.set(id, have);
        const sink = this.#track(id, await this.#o.create(cfg, { stdout: this.#o.stdout, env: this.#o.env, log: this.#o.log.child({ sinkId: id }) }));
        created.push(sink);
        next.set(id, { fingerprint: fp, sink });
      }),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ i, err: r.reason as Error }] : []));
    if (failed.length) {
      for (const s of created) this.#retire(s);
      throw new ConfigError(
        failed.flatMap(({ i, err }) =>
          err instanceof ConfigError ? err.issues : [{ file: this.#o.configFile ?? 'config', path: `sinks[${i}]`, message: `sink "${config.sinks[i].name}" could not start: ${err.message}` }],
        ),
      );
    }
    // the config's order, so sinks() lists them as written
    return new Map(config.sinks.map((s) => sinkId({ kind: 'config', name: s.name })).map((id) => [id, next.get(id)!]));
  }

  /** The config sinks buildConfig made are the ones to serve from now on. */
  commitConfig(built: Map<string, Entry>): void {
    this.#config = built;
  }

  /** Instances for the controller's resolved Sinks; one that cannot start is reported and left out. */
  async buildCustom(resolved: readonly ResolvedSink[]): Promise<void> {
    const next = new Map<string, Entry>();
    const baseEnv = this.#o.env ?? process.env;
    const terminal = Object.fromEntries(TERMINAL_ENV.flatMap((k) => (baseEnv[k] !== undefined ? [[k, baseEnv[k]!]] : [])));
    await Promise.all(
      resolved.map(async (r) => {
        const m = sinkConfigFromResolved(r);
        if (!m.ok) return this.#o.report(r.id, m.problems);
        const fp = fingerprint([m.config, m.env]);
        const have = this.#custom.get(r.id);
        if (have && have.fingerprint === fp) {
          next.set(r.id, have);
          return this.#o.report(r.id, []);
        }
        try {
          // a tenant's Sink reaches only what the egress policy allows; a ClusterSink is the admin's
          const egress = r.kind === 'Sink' ? { egress: this.#o.egress } : {};
          const inner = await this.#o.create(m.config, { stdout: this.#o.stdout, env: { ...terminal, ...m.env }, log: this.#o.log.child({ sinkId: r.id }), ...egress });
          next.set(r.id, { fingerprint: fp, sink: this.#track(r.id, inner) });
          this.#o.log.info({ sink: r.id, name: m.config.name, type: m.config.type }, have ? 'sink changed: new instance' : 'sink started');
          this.#o.report(r.id, []);
        } catch (err) {
          // the sinks name the variable they read: say which field of the Sink that is, never the value
          let message = (err as Error).message;
          for (const [variable, field] of Object.entries(m.fields)) message = message.split(variable).join(field);
          this.#o.report(r.id, [{ field: 'spec', message: redact(message, Object.values(m.env)) }]);
        }
      }),
    );
    this.#custom = new Map(resolved.flatMap((r) => (next.has(r.id) ? [[r.id, next.get(r.id)!] as const] : [])));
  }

  /** The instances to put in force: the config's, then the custom resources'. */
  serving(): Map<string, TrackedSink> {
    const sinks = new Map<string, TrackedSink>();
    for (const [id, e] of this.#config) sinks.set(id, e.sink);
    for (const [id, e] of this.#custom) sinks.set(id, e.sink);
    return sinks;
  }

  /** `inForce` was put in force: retires what nothing uses any more. */
  settle(inForce: ReadonlyMap<string, TrackedSink>): void {
    // the config's sinks built for a reload the controller has not compiled yet stay open
    const keep = new Set<TrackedSink>([...inForce.values(), ...[...this.#config.values()].map((e) => e.sink)]);
    for (const s of [...this.#open]) if (!keep.has(s)) this.#retire(s);
    for (const s of keep) this.#open.add(s);
  }

  /** Retires every instance and waits for them to close. */
  async close(): Promise<void> {
    const all = new Set([...this.#open, ...[...this.#config.values(), ...this.#custom.values()].map((e) => e.sink)]);
    for (const s of all) this.#retire(s);
    await Promise.all(this.#retiring);
  }

  #track(id: string, inner: Sink): TrackedSink {
    return new TrackedSink(id, inner, this.#o.current);
  }

  #retire(s: TrackedSink): void {
    this.#open.delete(s);
    const p = s
      .retire()
      .catch((err: Error) => this.#o.log.error({ sink: s.id, err: err.message }, 'closing a sink failed'))
      .finally(() => this.#retiring.delete(p));
    this.#retiring.add(p);
  }
}
