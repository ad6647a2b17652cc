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
