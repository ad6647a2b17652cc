/** "Did you mean …?" suggestions for misspelt keys and names. */

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  let prev2: number[] = [];
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  for (let i = 1; i <= n; i++) {
    const cur = [i];
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[m]!;
}

/** Case, `_` and `-` do not count: `ignoreDaemonsets` and `Ignore-DaemonSets` both read as `ignoredaemonsets`. */
function fold(s: string): string {
  return s.toLowerCase().replace(/[_-]/g, "");
}

/**
 * The candidate closest to `word`, when close enough to be a likely typo: the same key in
 * another case or style (camelCase, dashes), or within an edit distance of about a third of
 * its length (at least 1, at most 3).
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const folded = fold(word);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    if (c === word) return undefined;
    if (fold(c) === folded) return c;
    const d = Math.min(editDistance(word.toLowerCase(), c.toLowerCase()), editDistance(folded, fold(c)));
    const limit = Math.min(3, Math.max(1, Math.floor(Math.min(word.length, c.length) / 3)));
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** `, did you mean 'x'?` for the closest candidate, or "" when none is close. */
export function didYouMean(
  word: string,
  candidates: Iterable<string>,
  known: Record<string, string> = {},
): string {
  const hint = Object.hasOwn(known, word) ? known[word] : closest(word, candidates);
  return hint ? `, did you mean '${hint}'?` : "";
}
