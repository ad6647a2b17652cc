/**
 * Building blocks for JSON Schema `pattern`s. JSON Schema patterns take no flags, so a
 * case-insensitive word is spelt one letter class at a time.
 */

/** `s` with every regular-expression metacharacter escaped. */
export function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/** A pattern for `word` in any letter case: `[Yy][Ee][Ss]`. */
export function anyCasePattern(word: string): string {
  let out = "";
  for (const ch of word) {
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    out += lower === upper ? escapeRegExp(ch) : `[${upper}${lower}]`;
  }
  return out;
}
