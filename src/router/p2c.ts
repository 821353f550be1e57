// Power of two choices over least outstanding requests: two distinct
// eligible members at random, the one with fewer calls in flight wins. It
// spreads load nearly as well as scanning for the global minimum, yet never
// herds every caller onto the one instance that just looked idle.
// Pure: no I/O, no clock; `random` is injected so tests can pin the pair.

/**
 * Picks one of `items` for which `eligible` holds (all when omitted), or
 * undefined when none is. Allocation-free: pools are small, so finding the
 * k-th eligible member by a scan is cheaper than building a filtered array.
 */
export function pickTwoChoices<T>(
  items: readonly T[],
  load: (item: T) => number,
  random: () => number,
  eligible?: (item: T) => boolean,
): T | undefined {
  const n = eligible ? countEligible(items, eligible) : items.length;
  if (n === 0) return undefined;
  if (n === 1) return nthEligible(items, 0, eligible);
  const i = Math.min(n - 1, Math.floor(random() * n));
  let j = Math.min(n - 2, Math.floor(random() * (n - 1)));
  if (j >= i) j++;
  const a = nthEligible(items, i, eligible) as T;
  const b = nthEligible(items, j, eligible) as T;
  // ties go to the first draw, which is itself random
  return load(b) < load(a) ? b : a;
}

function countEligible<T>(items: readonly T[], eligible: (item: T) => boolean): number {
  let n = 0;
  for (let k = 0; k < items.length; k++) if (eligible(items[k])) n++;
  return n;
}

function nthEligible<T>(items: readonly T[], nth: number, eligible?: (item: T) => boolean): T | undefined {
  if (!eligible) return items[nth];
  for (let k = 0; k < items.length; k++) {
    if (eligible(items[k]) && nth-- === 0) return items[k];
  }
  return undefined;
}
