// "Did you mean …?" for misspelt keys and values. Case, "-" and "_" are
// ignored first so `in_cluster` finds `inCluster`; otherwise the closest
// candidate within a small edit distance wins.

/** The candidate `word` was most likely meant to be, or undefined when none is close. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const norm = normalize(word);
  const exact = candidates.find((c) => normalize(c) === norm);
  if (exact !== undefined) return exact;
  // a shortened word ("warn" for "warning") is what was meant
  const prefix = norm.length >= 3 ? candidates.find((c) => normalize(c).startsWith(norm) || norm.startsWith(normalize(c))) : undefined;
  if (prefix !== undefined) return prefix;
  // two edits in five may be wrong: catches typos, not different words
  const limit = Math.max(1, Math.round(word.length * 0.4));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const d = editDistance(norm, normalize(c));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function normalize(s: string): string {
  return s.toLowerCase().replace(/[-_]/g, '');
}

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions ("namepsaces"). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
