/**
 * The server's old generation grows by at most half its live size between full collections
 * (`--heap-growing-percent=50`) instead of V8's adaptive factor of up to 4×: under the intake
 * load the heap otherwise filled with garbage awaiting collection, and the peak RSS was ~210 MiB
 * instead of ~155 MiB, for the same events/s (BENCHMARKS.md). The factor is read at each
 * collection, so setting it at start works; a value given on the command line wins.
 */
import { setFlagsFromString } from "node:v8";

export const HEAP_GROWING_FLAG = "--heap-growing-percent";

/** Applies the server's heap growing factor unless node was started with one. */
export function tuneHeap(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? "",
): boolean {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].some(
    (a) => a.startsWith(HEAP_GROWING_FLAG) || a.startsWith("--heap_growing_percent"),
  );
  if (given) return false;
  setFlagsFromString(`${HEAP_GROWING_FLAG}=50`);
  return true;
}
