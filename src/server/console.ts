/**
 * The operator console at /ui on the intake port:
 *   GET  /ui, /ui/...                     the browser app (src/console/assets.ts)
 *   GET  /ui/signin, POST /ui/signin      sign in with the token (a session cookie)
 *   POST /ui/signout
 *   GET  /ui/api/events?…                 history: the audit trail and the live buffer (EventsPage)
 *   GET  /ui/api/events/<id>              one event (ConsoleEvent)
 *   GET  /ui/api/stream?…                 server-sent events, with the same filters
 *   GET  /ui/api/stats?since=&bucket=     counts over time (Stats)
 *   GET  /ui/api/rules                    the rules in force and the last reload (RulesState)
 *   POST /ui/api/rehearse                 what the rules would do with an event (RehearseResult)
 *   POST /ui/api/actions/<id>/revert      as POST /actions/<id>/revert
 *   GET  /ui/api/artifacts/<id>/<name>    a local:file artifact of that action
 * Whenever the server has a token, everything but the sign-in page needs a session or the
 * token as a Bearer header (API only); cookie-authenticated state changes must come from the
 * console's own pages (same Origin, or its X-Talon-Console header), against cross-site requests.
 */

import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { resolveArtifact } from "../console/artifacts.js";
import type { ConsoleAssets } from "../console/assets.js";
import type { ConsoleFeed, FeedSubscriber } from "../console/feed.js";
import { type EventFilter, FilterError, matchesFilter, parseFilter, parseTime } from "../console/filter.js";
import { type AuditReader, knownEvents, page, validCursor } from "../console/history.js";
import { withReasons } from "../console/reasons.js";
import type { SessionStore } from "../console/sessions.js";
import { computeStats, MAX_BUCKETS } from "../console/stats.js";
import type { ConsoleEvent, RehearseResult, RulesState } from "../console/types.js";
import { errorText } from "../error-text.js";
import { EventDecodeError } from "../events/decode.js";
import { parseJsonExact, stringifyJsonExact } from "../events/json.js";
import type { Rule } from "../rules/types.js";
import { type ActionsHandlers, handleActions } from "./actions.js";
import { bearerToken, hasClientCert, type IntakeSecurity, isGuarded, tokenMatches } from "./auth.js";
import { SIGNIN_CSS, signinPage } from "./console-signin.js";

export interface ConsoleDeps {
  feed: ConsoleFeed;
  /** The audit trail read back; unset without audit.file and NATS (then the live buffer only). */
  history?: AuditReader;
  rules(): RulesState;
  /** The rules in force, for the reasons of events read back from the audit trail. */
  ruleList?: () => readonly Rule[];
  /** The destination folders of the rules' local:file outputs. */
  artifactFolders(): string[];
  rehearse(body: unknown): Promise<RehearseResult>;
  actions?: ActionsHandlers;
  assets: ConsoleAssets;
  security?: IntakeSecurity;
  sessions: SessionStore;
  /** Served over TLS: the session cookie is Secure. */
  tls: boolean;
  maxBodyBytes: number;
  logger: Logger;
  /** Comment lines keeping a quiet stream (and proxies) alive; default 15 s. */
  heartbeatMs?: number;
  /** Past this many unsent bytes a stream skips changes until its browser catches up; default 1 MiB. */
  maxStreamBacklog?: number;
  /** A stream whose browser has read nothing for this long while changes wait is closed; default 30 s. */
  maxStreamStallMs?: number;
}

/** Counts and logs a refused request (the intake's `refused`). */
export type Refuse = (status: number, reason: string, detail?: string) => void;

export interface ConsoleRoute {
  handle(req: IncomingMessage, res: ServerResponse, path: string, refuse: Refuse): Promise<void>;
}

/** True for /ui and everything under it. */
export function isConsolePath(path: string): boolean {
  return path.startsWith("/ui") && (path.length === 3 || path.charCodeAt(3) === 47);
}

export const COOKIE = "talon_console";

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  // same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` on the sign-in
  // form's POST, which the same-origin check then refuses
  "Referrer-Policy": "same-origin",
  "X-Frame-Options": "DENY",
};

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on("end", () =>
      size <= limit
        ? resolve(Buffer.concat(chunks).toString("utf8"))
        : reject(new BodyError(413, `the body is larger than ${limit} bytes`)),
    );
    req.on("error", reject);
  });
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** The request comes from a page of this server: its Origin is this host, or it carries the console's header. */
export function sameOrigin(req: IncomingMessage): boolean {
  if (req.headers["x-talon-console"] === "1") return true;
  const origin = req.headers.origin;
  const host = req.headers.host;
  if (!origin || !host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Where to go after signing in: a console page only (no open redirect). */
export function nextPage(next: string | null | undefined): string {
  if (!next || !/^\/ui(?:[/?#]|$)/.test(next) || next.includes("\\") || next.includes("//")) return "/ui";
  return next;
}

function intParam(params: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const v = params.get(name);
  if (v === null || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new FilterError(`${name}: expected an integer from ${min} to ${max}, got '${v.slice(0, 50)}'`);
  return n;
}

export function createConsoleRoute(deps: ConsoleDeps): ConsoleRoute {
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const maxBacklog = deps.maxStreamBacklog ?? 1 << 20;
  const maxStallMs = deps.maxStreamStallMs ?? 30_000;

  const headers = (res: ServerResponse) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  };
  const send = (res: ServerResponse, status: number, body: string | Buffer, type: string, extra = {}) => {
    res.writeHead(status, {
      "Content-Type": type,
      "Content-Length": Buffer.byteLength(body),
      "Cache-Control": "no-store",
      ...extra,
    });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, value: unknown) =>
    send(res, status, `${stringifyJsonExact(value)}\n`, "application/json; charset=utf-8");
  const redirect = (res: ServerResponse, status: number, location: string, extra = {}) => {
    res.writeHead(status, { Location: location, "Cache-Control": "no-store", ...extra });
    res.end();
  };
  const cookie = (value: string, maxAge: number) =>
    `${COOKIE}=${value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${deps.tls ? "; Secure" : ""}`;

  /** The token the console needs, if any (a set token; a client certificate is checked apart). */
  const tokenSource = () => {
    const sec = deps.security;
    return sec && isGuarded(sec, "console") ? sec.token : undefined;
  };

  async function signin(req: IncomingMessage, res: ServerResponse, refuse: Refuse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const source = tokenSource();
    if (!source) {
      req.resume();
      return redirect(res, 303, nextPage(url.searchParams.get("next")));
    }
    if (req.method === "GET" || req.method === "HEAD") {
      req.resume();
      return send(
        res,
        200,
        signinPage(undefined, url.searchParams.get("next") ?? undefined),
        "text/html; charset=utf-8",
      );
    }
    if (req.method !== "POST") {
      req.resume();
      return send(res, 405, "Method Not Allowed\n", "text/plain; charset=utf-8", { Allow: "GET, POST" });
    }
    // A form post carries its Origin in browsers that send one: it must be this server.
    if (req.headers.origin !== undefined && !sameOrigin(req)) {
      req.resume();
      refuse(403, "cross_site");
      return send(res, 403, "Forbidden\ncross-site sign-in refused\n", "text/plain; charset=utf-8");
    }
    const form = new URLSearchParams(await readBody(req, 16 << 10));
    const given = form.get("token") ?? "";
    const next = nextPage(form.get("next"));
    if (!(await tokenMatches(source, given === "" ? undefined : given))) {
      refuse(401, "unauthorized");
      return send(res, 401, signinPage("That token is not valid.", next), "text/html; charset=utf-8");
    }
    const id = deps.sessions.open((await source.current())!);
    redirect(res, 303, next, { "Set-Cookie": cookie(id, deps.sessions.maxAgeSeconds) });
  }

  function stream(req: IncomingMessage, res: ServerResponse, filter: EventFilter): void {
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    res.write("retry: 3000\n\n");
    // While the browser does not keep up, changes are skipped (and counted), not buffered; one
    // that stopped reading is let go.
    let skipped = 0;
    let blockedAt: number | undefined;
    const stalled = () => blockedAt !== undefined && performance.now() - blockedAt > maxStallMs;
    // A batch's messages, written together at its end: one write per message was a system call
    // per event and cost the intake a quarter of its rate while a console streamed.
    let batch = "";
    const sub: FeedSubscriber = {
      send(kind, ev: ConsoleEvent, text) {
        if (!matchesFilter(ev, filter)) return;
        if (blockedAt !== undefined) {
          skipped++;
          if (stalled()) res.destroy();
          return;
        }
        batch += `event: ${kind}\ndata: ${text()}\n\n`;
      },
      batchEnd() {
        if (batch === "") return;
        res.write(batch);
        batch = "";
        // Past a batch's worth unsent, the browser is not keeping up: skip until it drains.
        if (res.writableLength > maxBacklog) blockedAt = performance.now();
      },
      skipped(count) {
        if (blockedAt === undefined) res.write(`: skipped ${count}\n\n`);
        else skipped += count;
      },
    };
    const unsubscribe = deps.feed.subscribe(sub);
    res.on("drain", () => {
      blockedAt = undefined;
      if (skipped > 0) {
        res.write(`: skipped ${skipped}\n\n`);
        skipped = 0;
      }
    });
    const heartbeat = setInterval(() => {
      if (blockedAt === undefined) res.write(": heartbeat\n\n");
      else if (stalled()) res.destroy();
    }, heartbeatMs);
    heartbeat.unref();
    const close = () => {
      clearInterval(heartbeat);
      unsubscribe();
    };
    res.once("close", close);
    req.once("close", close);
  }

  async function known(filter: EventFilter): Promise<Map<string, ConsoleEvent>> {
    return knownEvents(deps.feed.all(), deps.history, filter.since);
  }

  async function api(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    params: URLSearchParams,
    viaBearer: boolean,
    refuse: Refuse,
  ): Promise<void> {
    const method = req.method ?? "GET";
    const post = method === "POST";
    if (post && !viaBearer && !sameOrigin(req)) {
      req.resume();
      refuse(403, "cross_site");
      return json(res, 403, {
        error:
          "cross-site request refused: send it from the console (same Origin, or the X-Talon-Console: 1 header)",
      });
    }
    const expect = (m: "GET" | "POST") => {
      if (method === m || (m === "GET" && method === "HEAD")) return true;
      req.resume();
      res.setHeader("Allow", m);
      json(res, 405, { error: `use ${m}` });
      return false;
    };
    if (path === "/ui/api/events") {
      if (!expect("GET")) return;
      const filter = parseFilter(params);
      const limit = intParam(params, "limit", 1, 1000, 100);
      const before = params.get("before") ?? undefined;
      if (before !== undefined && !validCursor(before)) throw new FilterError("before: not a page cursor");
      return json(res, 200, page((await known(filter)).values(), filter, limit, before));
    }
    const one = /^\/ui\/api\/events\/([^/]+)$/.exec(path);
    if (one) {
      if (!expect("GET")) return;
      let id: string;
      try {
        id = decodeURIComponent(one[1]!);
      } catch {
        return json(res, 400, { error: "invalid event id" });
      }
      const live = deps.feed.get(id);
      const trail = live ? undefined : (await known({})).get(id);
      const ev = live ?? (trail && deps.ruleList ? withReasons(trail, deps.ruleList()) : trail);
      return ev ? json(res, 200, ev) : json(res, 404, { error: `no event '${id.slice(0, 100)}'` });
    }
    if (path === "/ui/api/stream") {
      if (!expect("GET")) return;
      const filter = parseFilter(params);
      if (method === "HEAD") {
        res.writeHead(200, {
          "Content-Type": "text/event-stream; charset=utf-8",
          "Cache-Control": "no-store",
        });
        return void res.end();
      }
      return stream(req, res, filter);
    }
    if (path === "/ui/api/stats") {
      if (!expect("GET")) return;
      const now = Date.now();
      const since = parseTime("since", params.get("since") || "1h", now);
      const until = params.get("until") ? parseTime("until", params.get("until")!, now) : now;
      const bucketSeconds = intParam(params, "bucket", 1, 86_400, 60);
      if (!(until > since)) throw new FilterError("until: must be after since");
      if ((until - since) / (bucketSeconds * 1000) > MAX_BUCKETS)
        throw new FilterError(
          `bucket: more than ${MAX_BUCKETS} buckets; use a larger bucket or a shorter range`,
        );
      const filter = { ...parseFilter(params, now), since, until };
      const events = [...(await known(filter)).values()].filter((e) => matchesFilter(e, filter));
      return json(res, 200, computeStats(events, { since, until, bucketSeconds }));
    }
    if (path === "/ui/api/rules") {
      if (!expect("GET")) return;
      return json(res, 200, deps.rules());
    }
    if (path === "/ui/api/rehearse") {
      if (!expect("POST")) return;
      const text = await readBody(req, deps.maxBodyBytes);
      let body: unknown;
      try {
        body = parseJsonExact(text);
      } catch (err) {
        return json(res, 400, { error: `invalid JSON: ${errorText(err)}` });
      }
      try {
        return json(res, 200, await deps.rehearse(body));
      } catch (err) {
        if (err instanceof EventDecodeError) return json(res, 400, { error: err.message });
        throw err;
      }
    }
    const revert = /^\/ui\/api\/actions\/([^/]*)\/revert$/.exec(path);
    if (revert) {
      if (!deps.actions) {
        req.resume();
        return json(res, 404, { error: "reversible actions are not served here" });
      }
      return handleActions(deps.actions, req, res, `/actions/${revert[1]}/revert`, (status, body, type) =>
        send(res, status, body, type ?? "text/plain; charset=utf-8"),
      );
    }
    const artifact = /^\/ui\/api\/artifacts\/([^/]+)\/([^/]+)$/.exec(path);
    if (artifact) {
      if (!expect("GET")) return;
      let actionId: string;
      let name: string;
      try {
        actionId = decodeURIComponent(artifact[1]!);
        name = decodeURIComponent(artifact[2]!);
      } catch {
        return json(res, 400, { error: "invalid artifact path" });
      }
      const recorded: string[] = [];
      for (const ev of (await known({})).values())
        for (const a of ev.actions)
          if (a.action_id === actionId)
            for (const o of a.outputs)
              if (o.target === "local:file" && o.status === "success" && o.objects.destination)
                recorded.push(o.objects.destination);
      const found = await resolveArtifact(name, recorded, deps.artifactFolders());
      if (!found.ok) {
        refuse(found.status, "artifact", found.reason);
        return json(res, found.status, { error: found.reason });
      }
      res.writeHead(200, {
        "Content-Type": "application/octet-stream",
        "Content-Disposition": `attachment; filename="${found.name.replace(/[^\w.-]/g, "_")}"`,
        "Cache-Control": "no-store",
      });
      if (method === "HEAD") return void res.end();
      createReadStream(found.path)
        .on("error", () => res.destroy())
        .pipe(res);
      return;
    }
    req.resume();
    json(res, 404, { error: `no such console API: ${path.slice(0, 200)}` });
  }

  return {
    async handle(req, res, path, refuse) {
      headers(res);
      const isApi = path === "/ui/api" || path.startsWith("/ui/api/");
      const sec = deps.security;
      try {
        if (sec && isGuarded(sec, "console") && !hasClientCert(sec, req)) {
          req.resume();
          refuse(401, "unauthorized");
          return send(
            res,
            401,
            "Unauthorized\na valid client certificate is required\n",
            "text/plain; charset=utf-8",
          );
        }
        if (path === "/ui/signin.css") {
          req.resume();
          return send(res, 200, SIGNIN_CSS, "text/css; charset=utf-8");
        }
        if (path === "/ui/signin") return await signin(req, res, refuse);
        const source = tokenSource();
        const session = cookieOf(req, COOKIE);
        if (path === "/ui/signout") {
          req.resume();
          if (req.method !== "POST")
            return send(res, 405, "Method Not Allowed\n", "text/plain", { Allow: "POST" });
          if (!sameOrigin(req)) {
            refuse(403, "cross_site");
            return send(res, 403, "Forbidden\ncross-site sign-out refused\n", "text/plain; charset=utf-8");
          }
          deps.sessions.close(session);
          return redirect(res, 303, "/ui/signin", { "Set-Cookie": cookie("", 0) });
        }
        let viaBearer = false;
        if (source) {
          const bearer = isApi ? bearerToken(req.headers.authorization) : undefined;
          const ok =
            bearer !== undefined
              ? await tokenMatches(source, bearer)
              : deps.sessions.valid(session, await source.current());
          if (!ok) {
            req.resume();
            if (!isApi) {
              const next = encodeURIComponent(req.url ?? "/ui");
              return redirect(res, 302, `/ui/signin?next=${next}`);
            }
            refuse(401, "unauthorized");
            return send(
              res,
              401,
              `${JSON.stringify({ error: "sign in first (or send the token as a Bearer header)" })}\n`,
              "application/json; charset=utf-8",
              {
                "WWW-Authenticate": 'Bearer realm="falco-talon"',
              },
            );
          }
          viaBearer = bearer !== undefined;
        }
        const params = new URL(req.url ?? "/", "http://x").searchParams;
        if (isApi) return await api(req, res, path, params, viaBearer, refuse);
        if (req.method !== "GET" && req.method !== "HEAD") {
          req.resume();
          return send(res, 405, "Method Not Allowed\n", "text/plain; charset=utf-8", { Allow: "GET" });
        }
        req.resume();
        const asset = await deps.assets.get(path === "/ui" ? "" : path.slice(4));
        if (!asset) return send(res, 404, "Not Found\n", "text/plain; charset=utf-8");
        res.writeHead(200, {
          "Content-Type": asset.type,
          "Content-Length": asset.body.length,
          "Cache-Control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
        });
        res.end(req.method === "HEAD" ? undefined : asset.body);
      } catch (err) {
        if (err instanceof FilterError) return json(res, 400, { error: err.message });
        if (err instanceof BodyError) return json(res, err.status, { error: err.message });
        throw err;
      }
    },
  };
}
