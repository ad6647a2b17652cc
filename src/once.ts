/**
 * `fn` called at most once; later calls return its first result. Used for the lazy loaders
 * of heavy optional SDKs (`once(() => import("…"))`): the module promise is shared, so the
 * package is loaded when a plug-in first builds a client, not when the registry is imported.
 */
export function once<T>(fn: () => T): () => T {
  let called = false;
  let result: T;
  return () => {
    if (!called) {
      result = fn();
      called = true;
    }
    return result;
  };
}
