// Seeded generation for the fuzz tests. Every input gets its own generator,
// seeded from the run's seed and the input's index, so one failing input is
// reproduced alone: FUZZ_SEED=<seed> FUZZ_ONLY=<index> node --test <file>.

/** The run's seed: $FUZZ_SEED, else a fixed one so CI runs are repeatable. */
export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 0x16c;

/** How many inputs a fuzz test generates ($FUZZ_COUNT, default `n`). */
export function fuzzCount(n: number): number {
  return process.env.FUZZ_COUNT ? Number(process.env.FUZZ_COUNT) : n;
}

/** The indices to run: all of 0..n-1, or just $FUZZ_ONLY, or $FUZZ_FROM..n-1. */
export function fuzzIndices(n: number): number[] {
  if (process.env.FUZZ_ONLY !== undefined) return [Number(process.env.FUZZ_ONLY)];
  // $FUZZ_FROM: the inputs from there on (what came before a failure may be part of it)
  const from = Number(process.env.FUZZ_FROM ?? 0);
  return Array.from({ length: Math.max(0, n - from) }, (_, i) => from + i);
}

export class Rng {
  #s: number;

  constructor(seed: number, index = 0) {
    // splitmix-style scrambling so neighbouring indices do not give neighbouring streams
    let h = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    this.#s = (h ^ (h >>> 16)) >>> 0;
  }

  /** mulberry32: a float in [0, 1) */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** an integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }

  /** A string of `n` characters from `alphabet`. */
  string(n: number, alphabet: string): string {
    const chars = [...alphabet];
    let out = '';
    for (let i = 0; i < n; i++) out += this.pick(chars);
    return out;
  }

  /** Code points from every plane: controls, surrogate halves, BOM, RTL marks, joiners, emoji, private use. */
  unicode(n: number): string {
    const odd = ['\u0000', '\u0007', '\u001b', '\u007f', '\u00a0', '\u200b', '\u200d', '\u202e', '\u2028', '\u2029', '\ufeff', '\ufffd', '\uffff', '\ud800', '\udfff', '\u{1f600}', '\u{10ffff}', '\ue000', 'é', 'ß', 'ﬁ', 'İ', '𝔘', '\t', '\r', '\n'];
    let out = '';
    for (let i = 0; i < n; i++) {
      const r = this.next();
      if (r < 0.3) out += this.pick(odd);
      else if (r < 0.6) out += String.fromCharCode(this.int(32, 126));
      else if (r < 0.9) out += String.fromCodePoint(this.int(0xa0, 0xd7ff));
      else out += String.fromCodePoint(this.int(0x10000, 0x10ffff));
    }
    return out;
  }
}

/** How an input is named in a failure, with what it takes to run it again. */
export function describeInput(kind: string, index: number, input: string): string {
  const shown = input.length > 300 ? `${input.slice(0, 300)}… (${input.length} chars)` : input;
  return `input #${index} (${kind}; rerun with FUZZ_SEED=${FUZZ_SEED} FUZZ_ONLY=${index}): ${JSON.stringify(shown)}`;
}
