/**
 * Intake security: Bearer-token authentication, TLS with optional
 * client-certificate verification, and a per-source-address rate limit. Each endpoint
 * (intake, health, metrics) is protected or not on its own (`auth.protect`).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Config } from "../config/schema.js";
import { errorText } from "../error-text.js";
import type { TlsPaths } from "./tls-reload.js";

/**
 * `actions`: GET /actions and POST /actions/<id>/revert; `console`: /ui (src/server/console.ts).
 * Both are always protected by a set token.
 */
export type Endpoint = "intake" | "health" | "metrics" | "actions" | "console";

/** The current token; undefined when it cannot be read (then every protected request is refused). */
export interface TokenSource {
  current(): Promise<string | undefined>;
}

/** A fixed token (config `auth.token`, env AUTH_TOKEN). */
export function staticToken(token: string): TokenSource {
  return { current: async () => token };
}

/**
 * A token read from a file (trimmed) and re-read when the file changes (mtime, size or
 * inode), checked at most every `checkEveryMs` so a request costs no syscall most of the time.
 */
export function fileToken(
  path: string,
  opts: { checkEveryMs?: number; onError?: (message: string) => void } = {},
): TokenSource {
  const checkEveryMs = opts.checkEveryMs ?? 1000;
  let token: string | undefined;
  let signature = "";
  let checkedAt = Number.NEGATIVE_INFINITY;
  let refreshing: Promise<void> | undefined;
  let lastError = "";
  const fail = (message: string) => {
    token = undefined;
    signature = "";
    // Logged once per distinct problem, not once per request.
    if (message !== lastError) opts.onError?.(message);
    lastError = message;
  };
  const refresh = async () => {
    try {
      const s = await stat(path);
      const sig = `${s.mtimeMs}:${s.size}:${s.ino}`;
      if (sig === signature) return;
      const text = (await readFile(path, "utf8")).trim();
      if (text === "") return fail(`auth.token_file '${path}' is empty`);
      token = text;
      signature = sig;
      lastError = "";
    } catch (err) {
      fail(`auth.token_file '${path}' cannot be read: ${errorText(err)}`);
    }
  };
  return {
    current: async () => {
      const now = performance.now();
      if (now - checkedAt >= checkEveryMs) {
        checkedAt = now;
        refreshing ??= refresh().finally(() => {
          refreshing = undefined;
        });
      }
      if (refreshing) await refreshing;
      return token;
    },
  };
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Constant-time comparison (hashing first makes the lengths equal). */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header (scheme in any case), else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1];
}

/** Token bucket per key (source address). Idle full buckets are forgotten, so memory stays bounded. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private sweptAt: number;
  readonly burst: number;

  constructor(
    readonly perSecond: number,
    burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burst = burst > 0 ? burst : Math.max(1, perSecond);
    this.sweptAt = now();
  }

  /** Takes one token for `key`; when none is left, says how many seconds until one is. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.now();
    this.sweep(now);
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond)) };
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    if (now - this.sweptAt < 10_000) return;
    this.sweptAt = now;
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
  }
}

export interface IntakeSecurity {
  /** Endpoints that need the token and/or the client certificate. */
  protect: ReadonlySet<Endpoint>;
  /** Undefined: no token required. */
  token?: TokenSource;
  /** Protected endpoints need a verified client certificate (TLS only). */
  requireClientCert: boolean;
  /** Applied to the intake (and /k8s-audit) only. */
  rateLimiter?: RateLimiter;
}

export type Refusal = { status: 401 | 429; headers: Record<string, string>; body: string; reason: string };

/** The endpoint a path belongs to. */
export function endpointOf(path: string): Endpoint {
  if (path === "/healthz") return "health";
  if (path === "/metrics") return "metrics";
  if (path === "/actions" || path.startsWith("/actions/")) return "actions";
  if (path === "/ui" || path.startsWith("/ui/")) return "console";
  return "intake";
}

/** Checks one request; undefined means it may go on. */
export async function checkRequest(
  sec: IntakeSecurity,
  endpoint: Endpoint,
  req: IncomingMessage,
): Promise<Refusal | undefined> {
  if (endpoint === "intake" && sec.rateLimiter) {
    const r = sec.rateLimiter.take(req.socket.remoteAddress ?? "");
    if (!r.ok) {
      return {
        status: 429,
        headers: { "Retry-After": String(r.retryAfterSeconds) },
        body: `Too Many Requests\nretry in ${r.retryAfterSeconds}s\n`,
        reason: "rate_limited",
      };
    }
  }
  if (!isGuarded(sec, endpoint)) return undefined;
  if (!hasClientCert(sec, req)) {
    return {
      status: 401,
      headers: {},
      body: "Unauthorized\na valid client certificate is required\n",
      reason: "unauthorized",
    };
  }
  if (sec.token) {
    if (!(await tokenMatches(sec.token, bearerToken(req.headers.authorization)))) {
      return {
        status: 401,
        headers: { "WWW-Authenticate": 'Bearer realm="falco-talon"' },
        body: "Unauthorized\na valid Bearer token is required\n",
        reason: "unauthorized",
      };
    }
  }
  return undefined;
}

/**
 * Whether an endpoint needs credentials. Reverting undoes a containment, and the console can
 * revert: both need the token (and client certificate) whenever the server has one, whatever
 * auth.protect lists.
 */
export function isGuarded(sec: IntakeSecurity, endpoint: Endpoint): boolean {
  return (
    sec.protect.has(endpoint) ||
    ((endpoint === "actions" || endpoint === "console") && (sec.token !== undefined || sec.requireClientCert))
  );
}

/** False when a client certificate is required and the connection has no verified one. */
export function hasClientCert(sec: IntakeSecurity, req: IncomingMessage): boolean {
  return !sec.requireClientCert || (req.socket as Partial<TLSSocket>).authorized === true;
}

/** Whether `given` is the current token, in constant time; false when either is missing. */
export async function tokenMatches(source: TokenSource, given: string | undefined): Promise<boolean> {
  const expected = await source.current();
  // Compare even without a given token, so timing does not tell the two cases apart.
  return tokensEqual(given ?? "", expected ?? "") && given !== undefined && expected !== undefined;
}

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  /** Ask for a client certificate (verified against `ca`); the per-endpoint check is checkRequest's. */
  requestCert: boolean;
  /** Where they were read from: the server reloads them when they change (src/server/tls-reload.ts). */
  paths?: TlsPaths;
}

/**
 * Security settings from the configuration. Throws a clear Error on an inconsistent setup
 * (half a key pair, unreadable files, client certificates without a CA).
 */
export function securityFromConfig(
  config: Pick<Config, "auth" | "tls" | "rate_limit">,
  onTokenError: (message: string) => void,
): { security: IntakeSecurity; tls?: TlsFiles } {
  const { auth, tls, rate_limit: rl } = config;
  const read = (key: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${key} '${path}' cannot be read: ${errorText(err)}`);
    }
  };
  let token: TokenSource | undefined;
  if (auth.token_file !== "") {
    if (read("auth.token_file", auth.token_file).toString("utf8").trim() === "")
      throw new Error(`auth.token_file '${auth.token_file}' is empty`);
    token = fileToken(auth.token_file, { onError: onTokenError });
  } else if (auth.token !== "") token = staticToken(auth.token);

  let tlsFiles: TlsFiles | undefined;
  if ((tls.cert_file === "") !== (tls.key_file === ""))
    throw new Error("tls.cert_file and tls.key_file must be set together");
  if (tls.cert_file !== "") {
    tlsFiles = {
      cert: read("tls.cert_file", tls.cert_file),
      key: read("tls.key_file", tls.key_file),
      requestCert: tls.client_ca_file !== "",
      paths: { cert: tls.cert_file, key: tls.key_file },
    };
    if (tls.client_ca_file !== "") {
      tlsFiles.ca = read("tls.client_ca_file", tls.client_ca_file);
      tlsFiles.paths!.ca = tls.client_ca_file;
    }
  }
  if (tls.require_client_cert && !tlsFiles?.ca)
    throw new Error("tls.require_client_cert needs tls.cert_file, tls.key_file and tls.client_ca_file");

  const security: IntakeSecurity = {
    protect: new Set(auth.protect),
    token,
    requireClientCert: tls.require_client_cert,
  };
  if (rl.per_source_per_second > 0)
    security.rateLimiter = new RateLimiter(rl.per_source_per_second, rl.burst);
  return { security, tls: tlsFiles };
}
