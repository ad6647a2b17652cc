/**
 * Every Kubernetes call goes through {@link kubeCall}: a per-attempt timeout, the
 * caller's abort signal, and retries with backoff on 429, 5xx and connection errors.
 */

import type { ConfigurationOptions } from "@kubernetes/client-node";
// The package's own small modules (its index re-exports these same classes, so `instanceof`
// holds for the errors it throws): importing the index would load the whole library at start.
import { ApiException } from "@kubernetes/client-node/dist/gen/apis/exception.js";
import { Observable } from "@kubernetes/client-node/dist/gen/rxjsStub.js";
import { errorText } from "../error-text.js";

export interface KubeCallOptions {
  signal?: AbortSignal;
  /** Per attempt; default 10 s. */
  timeoutMs?: number;
  /** Extra attempts after the first; default 3. */
  retries?: number;
  /** First backoff delay; doubles each retry (with jitter), capped at 5 s. Default 200 ms. */
  backoffMs?: number;
}

/** Options for a generated API method: binds the attempt's abort signal to the request. */
export function requestOptions(signal: AbortSignal): ConfigurationOptions {
  // The object-parameter API takes observable-style middleware (client-node's rxjs stub).
  return {
    middleware: [
      {
        pre: (ctx) => {
          ctx.setSignal(signal);
          return new Observable(Promise.resolve(ctx));
        },
        post: (rsp) => new Observable(Promise.resolve(rsp)),
      },
    ],
    middlewareMergeStrategy: "append",
  };
}

const RETRYABLE_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

export function statusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { code?: unknown; statusCode?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

export function isNotFound(err: unknown): boolean {
  return statusCode(err) === 404;
}

function errnoCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isRetryable(err: unknown, timedOut: boolean): boolean {
  if (timedOut) return true;
  const status = statusCode(err);
  if (status !== undefined) return status === 429 || status >= 500;
  const code = errnoCode(err);
  if (code && RETRYABLE_CODES.has(code)) return true;
  return /socket hang up|ECONNRESET|network|fetch failed/i.test(
    String((err as { message?: unknown } | null)?.message ?? ""),
  );
}

function retryAfterMs(err: unknown): number | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const h = err.headers?.["retry-after"];
  const s = h === undefined ? Number.NaN : Number(h);
  return Number.isFinite(s) ? s * 1000 : undefined;
}

/** The Kubernetes `Status.message` of an API error, else the error's message. */
export function kubeErrorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body = err.body as unknown;
    let parsed: unknown = body;
    if (typeof body === "string") {
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = undefined;
      }
    }
    const msg = (parsed as { message?: unknown } | undefined)?.message;
    if (typeof msg === "string" && msg !== "") return msg;
    return `HTTP ${err.code}`;
  }
  return errorText(err);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `fn` with a signal that aborts on the caller's signal or the attempt timeout.
 * `fn` must pass the signal on (e.g. `requestOptions(signal)`).
 */
export async function kubeCall<T>(
  what: string,
  fn: (signal: AbortSignal) => Promise<T>,
  opts: KubeCallOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const retries = opts.retries ?? 3;
  const backoff = opts.backoffMs ?? 200;
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw new Error(`${what}: aborted`);
    // A ref'd timer (AbortSignal.timeout's is unref'd and would not keep a lone call alive).
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new Error(`${what}: timed out after ${timeoutMs}ms`)),
      timeoutMs,
    );
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout.signal]) : timeout.signal;
    try {
      return await fn(signal);
    } catch (err) {
      const timedOut = timeout.signal.aborted && !opts.signal?.aborted;
      if (opts.signal?.aborted) throw new Error(`${what}: aborted`);
      if (attempt >= retries || !isRetryable(err, timedOut)) {
        if (timedOut) throw new Error(`${what}: timed out after ${timeoutMs}ms`);
        throw err;
      }
      const delay = Math.min(5000, retryAfterMs(err) ?? backoff * 2 ** attempt * (0.5 + Math.random()));
      await sleep(delay, opts.signal);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * What a caller brings to its requests: the signal that aborts them (shutdown, action timeout)
 * and `server` when writes are to be sent as a server-side dry run.
 */
export interface KubeRequestContext {
  signal?: AbortSignal;
  dryRun?: "server";
}

/** Call options for a caller's requests. */
export function callOptions(context: Pick<KubeRequestContext, "signal">): KubeCallOptions {
  return { signal: context.signal };
}

/** `dryRun` query value for writes: `All` when the caller runs in server dry-run mode. */
export function dryRunParam(context: Pick<KubeRequestContext, "dryRun">): "All" | undefined {
  return context.dryRun === "server" ? "All" : undefined;
}
