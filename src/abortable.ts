/**
 * Bounding a promise by an abort signal, and the deadline of one plug-in call (an action or a
 * revert): used by the pipeline, the reverter and the Kubernetes calls whose client takes no
 * per-request signal.
 */

/** An abort signal for one call and the means to release its timer and listener. */
export interface Deadline {
  signal: AbortSignal;
  dispose(): void;
}

/**
 * An abort signal that fires after `ms` (`<what> timed out after Ns`, a TimeoutError) or when
 * `shutdown` aborts. (AbortSignal.any/timeout keep timers and listeners alive until GC on Node 20.)
 */
export function deadline(ms: number, shutdown: AbortSignal | undefined, what: string): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    const err = new Error(`${what} timed out after ${ms / 1000}s`);
    err.name = "TimeoutError";
    controller.abort(err);
  }, ms);
  timer.unref();
  const onShutdown = () => controller.abort(shutdown?.reason);
  shutdown?.addEventListener("abort", onShutdown, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      shutdown?.removeEventListener("abort", onShutdown);
    },
  };
}

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
