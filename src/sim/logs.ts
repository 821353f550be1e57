// Container logs, kept by the simulated kubelet and served by pods/log. Each
// container keeps its current and its previous instance, as kubelet does, so
// `kubectl logs --previous` of a crash-looping container works.

export interface LogLine {
  /** RFC 3339 with nanoseconds, as kubelet prefixes lines with --timestamps */
  time: string;
  text: string;
}

type Follower = (line: LogLine) => void;

interface ContainerLog {
  current: LogLine[];
  previous?: LogLine[];
  followers: Set<Follower>;
}

const MAX_LINES = 5_000;

export class LogStore {
  #logs = new Map<string, ContainerLog>();

  #entry(ns: string, pod: string, container: string): ContainerLog {
    const k = `${ns}/${pod}/${container}`;
    let e = this.#logs.get(k);
    if (!e) {
      e = { current: [], followers: new Set() };
      this.#logs.set(k, e);
    }
    return e;
  }

  append(ns: string, pod: string, container: string, time: Date, text: string): void {
    const e = this.#entry(ns, pod, container);
    const line = { time: time.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z'), text };
    e.current.push(line);
    if (e.current.length > MAX_LINES) e.current.splice(0, e.current.length - MAX_LINES);
    for (const f of e.followers) f(line);
  }

  /** The container restarted: its log becomes the previous instance's. */
  restart(ns: string, pod: string, container: string): void {
    const e = this.#entry(ns, pod, container);
    e.previous = e.current;
    e.current = [];
  }

  read(ns: string, pod: string, container: string, previous = false): LogLine[] | undefined {
    const e = this.#logs.get(`${ns}/${pod}/${container}`);
    if (!e) return undefined;
    return previous ? e.previous : e.current;
  }

  follow(ns: string, pod: string, container: string, fn: Follower): () => void {
    const e = this.#entry(ns, pod, container);
    e.followers.add(fn);
    return () => e.followers.delete(fn);
  }

  /** The pod is gone: drop its containers' logs. */
  forget(ns: string, pod: string): void {
    const prefix = `${ns}/${pod}/`;
    for (const k of this.#logs.keys()) if (k.startsWith(prefix)) this.#logs.delete(k);
  }
}
