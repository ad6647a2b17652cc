/**
 * Bounding a promise by an abort signal: the pipeline's action deadline, and the Kubernetes
 * calls whose client takes no per-request signal.
 */

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts (with its reason when that is
 * an Error), so a stuck call never blocks its caller past a timeout or shutdown.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error ? reason : new Error("aborted");
}
