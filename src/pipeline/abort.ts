/** Bounding a plug-in call by the action timeout and shutdown. */

/** An abort signal for one action and the means to release its timer and listener. */
export interface ActionDeadline {
  signal: AbortSignal;
  dispose(): void;
}

/**
 * An abort signal for one action: fires after `ms` or when `shutdown` aborts.
 * (AbortSignal.any/timeout keep timers and listeners alive until GC on Node 20.)
 */
export function actionDeadline(ms: number, shutdown: AbortSignal): ActionDeadline {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    const err = new Error(`action timed out after ${ms / 1000}s`);
    err.name = "TimeoutError";
    controller.abort(err);
  }, ms);
  timer.unref();
  const onShutdown = () => controller.abort(shutdown.reason);
  shutdown.addEventListener("abort", onShutdown, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      shutdown.removeEventListener("abort", onShutdown);
    },
  };
}

/** Rejects when the signal aborts (timeout or shutdown), so a stuck plug-in never blocks a lane forever. */
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
