/** POSIX shell single-quoting: the result is always one literal word, for any string without NUL. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
