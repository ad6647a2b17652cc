/**
 * The HTTP client shared by the HTTP notifiers (slack, webhook, loki, elasticsearch).
 *
 * It uses the global fetch, whose process-wide dispatcher keeps one pool of keep-alive
 * connections per origin, so no transport is built per request.
 * Each attempt has its own timeout; network errors, 429 and 5xx are retried a bounded
 * number of times with exponential backoff (honouring a short Retry-After).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { errorText } from "../error-text.js";

/** Statuses Talon treats as success. */
const ACCEPTED = new Set([200, 201, 202, 204]);

export interface HttpRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpOptions {
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Attempts in total (first try included). */
  attempts?: number;
  /** First backoff delay; doubled at each retry. */
  backoffMs?: number;
  /** Upper bound for one backoff or Retry-After wait. */
  maxBackoffMs?: number;
  /** Aborts waiting and in-flight requests (shutdown). */
  signal?: AbortSignal;
  /** Extra accepted statuses (e.g. 404 for an existence probe). */
  accept?: number[];
}

export interface HttpResponse {
  status: number;
  body: string;
  headers: Headers;
}

export const DEFAULT_HTTP_OPTIONS = {
  timeoutMs: 10_000,
  attempts: 3,
  backoffMs: 250,
  maxBackoffMs: 5_000,
} as const;

/** A final HTTP failure; `status` is 0 for network errors and timeouts. */
export class NotifierHttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly attempts: number,
  ) {
    super(message);
    this.name = "NotifierHttpError";
  }
}

/** Talon's error texts by status. */
export function statusErrorText(status: number, statusText: string, body: string): string {
  switch (status) {
    case 400:
      return `header missing: ${body}`;
    case 401:
      return "authentication error";
    case 403:
      return "access denied";
    case 404:
      return "resource not found";
    case 422:
      return "wrong request";
    case 429:
      return "exceeding post rate limit";
    default:
      return `${status} ${statusText}`.trim();
  }
}

function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Retry-After in ms (seconds or an HTTP date), undefined when absent or invalid. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** `user:password` → a Basic Authorization header value. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** Only the origin: webhook URLs (Slack) carry secrets in their path. */
export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "<invalid url>";
  }
}

/**
 * Sends one request, retrying transient failures. Resolves on 200/201/202/204 (or `accept`);
 * otherwise throws a NotifierHttpError whose message never contains the URL path.
 */
export async function sendHttp(request: HttpRequest, options: HttpOptions = {}): Promise<HttpResponse> {
  const opts = { ...DEFAULT_HTTP_OPTIONS, ...options };
  const attempts = Math.max(1, Math.floor(opts.attempts));
  const method = (request.method ?? "POST").toUpperCase();
  const target = `${method} ${safeOrigin(request.url)}`;
  let lastError = "";
  let lastStatus = 0;
  let made = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    opts.signal?.throwIfAborted();
    made = attempt;
    let waitMs = Math.min(opts.maxBackoffMs, opts.backoffMs * 2 ** (attempt - 1));
    try {
      const signals = [AbortSignal.timeout(opts.timeoutMs)];
      if (opts.signal) signals.push(opts.signal);
      const response = await fetch(request.url, {
        method,
        headers: request.headers,
        body: method === "GET" || method === "HEAD" ? undefined : request.body,
        signal: AbortSignal.any(signals),
      });
      const body = await response.text();
      if (ACCEPTED.has(response.status) || opts.accept?.includes(response.status)) {
        return { status: response.status, body, headers: response.headers };
      }
      lastStatus = response.status;
      lastError = statusErrorText(response.status, response.statusText, body);
      if (!retryable(response.status)) break;
      const after = retryAfterMs(response.headers.get("retry-after"));
      if (after !== undefined) waitMs = Math.min(opts.maxBackoffMs, after);
    } catch (err) {
      if (opts.signal?.aborted) throw new NotifierHttpError(`${target}: aborted`, 0, attempt);
      const e = err as Error & { cause?: { code?: string; message?: string } };
      lastStatus = 0;
      lastError =
        e.name === "TimeoutError"
          ? `timeout after ${opts.timeoutMs}ms`
          : (e.cause?.code ?? e.cause?.message ?? errorText(err));
    }
    if (attempt < attempts) {
      // Jitter spreads retries of simultaneous notifications.
      await sleep(waitMs * (0.75 + Math.random() * 0.5), undefined, { signal: opts.signal }).catch(() => {});
    }
  }
  return failed(target, lastError, lastStatus, made);
}

function failed(target: string, error: string, status: number, attempts: number): never {
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : "";
  throw new NotifierHttpError(`${target}: ${error}${tries}`, status, attempts);
}
