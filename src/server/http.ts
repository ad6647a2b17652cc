/**
 * HTTP intake: every path except /healthz, /metrics and /k8s-audit is the
 * Falco event intake, with Talon's status codes and texts. Bodies are size-limited and a
 * bad event gets a 4xx whose second line says why.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { Context, Tracer } from "@opentelemetry/api";
import type { Logger } from "pino";
import { errorText } from "../error-text.js";
import { decodeEvent, EventDecodeError } from "../events/decode.js";
import type { FalcoEvent } from "../events/event.js";
import type { Metrics } from "../metrics/metrics.js";
import type { AcceptResult } from "../pipeline/pipeline.js";
import { startRequestSpan } from "../tracing/http-span.js";
import { extractTraceContext } from "../tracing/tracing.js";
import { type ActionsHandlers, handleActions, isActionsPath } from "./actions.js";
import { checkRequest, endpointOf, type IntakeSecurity, type TlsFiles } from "./auth.js";
import { type ConsoleRoute, isConsolePath } from "./console.js";
import { reloadTlsOnChange } from "./tls-reload.js";

export interface IntakeHandlers {
  logger: Logger;
  metrics: Metrics;
  maxBodyBytes: number;
  /** `parent`: the request's trace context (the `/` server span, or the remote `traceparent`). */
  accept(event: FalcoEvent, parent: Context): Promise<AcceptResult>;
  /**
   * POST /k8s-audit: returns the number of alerts raised, or throws BadRequest. The body comes
   * as received, in chunks: an EventList of 100 events is over 128 KB, which costs more to hold
   * as one string than to parse (src/events/json-chunks.ts).
   */
  k8sAudit?(body: readonly Buffer[], parent: Context): Promise<{ accepted: number; rejected: number }>;
  /** GET /actions and POST /actions/<id>/revert (src/server/actions.ts); 404 when unset. */
  actions?: ActionsHandlers;
  /** The operator console at /ui (src/server/console.ts), with its own sign-in; unset: /ui is intake. */
  console?: ConsoleRoute;
  /** Starts the `/` server span; without it only incoming trace headers are honoured. */
  tracer?: Tracer;
  /** Token, client-certificate and rate-limit checks (src/server/auth.ts); none when unset. */
  security?: IntakeSecurity;
  /** Serve HTTPS with these; plain HTTP when unset. */
  tls?: TlsFiles;
  /** How often TLS files with `paths` are checked for rotation (default 5 s). */
  tlsReloadMs?: number;
}

export class BadRequest extends Error {}

class BodyTooLarge extends Error {}

function send(
  res: ServerResponse,
  status: number,
  body = "",
  contentType = "text/plain; charset=utf-8",
): void {
  if (body === "") {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Reads the body up to `limit` bytes, as the chunks received. Past the limit the rest is
 * discarded (not buffered) so the 413 answer reaches the client instead of a connection reset.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer[]> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) chunks.length = 0;
      else chunks.push(chunk);
    });
    req.on("end", () => {
      if (size <= limit) resolve(chunks);
      else reject(new BodyTooLarge());
    });
    req.on("error", reject);
    req.on("aborted", () => reject(new Error("request aborted")));
  });
}

/**
 * Counts and logs a refused request. Refused logins are a security signal (warn); malformed,
 * oversized and rate-limited requests are debug, so a flood can't fill the logs by default.
 * The reason is a fixed word (a bounded metric label); the detail is the text sent back.
 */
function refused(
  h: IntakeHandlers,
  req: IncomingMessage,
  path: string,
  status: number,
  reason: string,
  detail?: string,
): void {
  h.metrics.rejected.inc({ reason });
  const fields = {
    status,
    reason,
    method: req.method,
    path: path.length > 200 ? `${path.slice(0, 200)}…` : path,
    remote: req.socket.remoteAddress,
    ...(detail ? { error: detail.length > 500 ? `${detail.slice(0, 500)}…` : detail } : {}),
  };
  if (status === 401 || status === 403) h.logger.warn(fields, "request refused");
  else h.logger.debug(fields, "request refused");
}

export function createIntakeServer(h: IntakeHandlers): Server {
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(h, req, res).catch((err) => {
      h.logger.error({ error: errorText(err) }, "http handler error");
      if (!res.headersSent) send(res, 500, "Internal Server Error\n");
      else res.destroy();
    });
  };
  // An https.Server has every http.Server method used here (close, address, timeouts).
  const server: Server = h.tls
    ? (createHttpsServer(
        {
          cert: h.tls.cert,
          key: h.tls.key,
          ca: h.tls.ca,
          requestCert: h.tls.requestCert,
          rejectUnauthorized: false,
        },
        listener,
      ) as unknown as Server)
    : createServer(listener);
  if (h.tls?.paths) {
    const stop = reloadTlsOnChange(server as unknown as HttpsServer, h.tls.paths, {
      logger: h.logger,
      pollMs: h.tlsReloadMs,
      initial: h.tls,
    });
    server.on("close", stop);
  }
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

async function handle(h: IntakeHandlers, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  const traceContext = h.tracer
    ? startRequestSpan(h.tracer, req, res, path)
    : extractTraceContext(req.headers);
  if (h.console && isConsolePath(path)) {
    await h.console.handle(req, res, path, (status, reason, detail) =>
      refused(h, req, path, status, reason, detail),
    );
    return;
  }
  if (h.security) {
    const refusal = await checkRequest(h.security, endpointOf(path), req);
    if (refusal) {
      refused(h, req, path, refusal.status, refusal.reason);
      for (const [k, v] of Object.entries(refusal.headers)) res.setHeader(k, v);
      send(res, refusal.status, refusal.body);
      req.resume();
      return;
    }
  }
  if (path === "/healthz") {
    send(res, 200, '{"status": "ok"}', "application/json");
    return;
  }
  if (path === "/metrics") {
    const text = await h.metrics.registry.metrics();
    send(res, 200, text, h.metrics.registry.contentType);
    return;
  }
  if (isActionsPath(path)) {
    if (!h.actions) {
      req.resume();
      send(res, 404, "Not Found\nreversible actions are not served here\n");
      return;
    }
    await handleActions(h.actions, req, res, path, (status, body, type) => send(res, status, body, type));
    return;
  }
  if (req.method !== "POST") {
    refused(h, req, path, 400, "method");
    send(res, 400, "Please send with POST http method\n");
    req.resume();
    return;
  }
  let body: Buffer[];
  try {
    body = await readBody(req, h.maxBodyBytes);
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      refused(h, req, path, 413, "too_large", `the limit is ${h.maxBodyBytes} bytes`);
      // Closing at once resets a client still sending its body, which then never reads the
      // 413: a body of a few times the limit is read and discarded instead (the connection
      // stays usable); past that, or when its size is unknown, the connection is closed.
      const declared = Number(req.headers["content-length"]);
      if (!req.complete && !(declared <= Math.max(4 * h.maxBodyBytes, 8 << 20))) {
        res.setHeader("Connection", "close");
      }
      send(res, 413, `Request body too large\nthe limit is ${h.maxBodyBytes} bytes\n`);
      return;
    }
    throw err;
  }

  if (path === "/k8s-audit" && h.k8sAudit) {
    try {
      const r = await h.k8sAudit(body, traceContext);
      send(res, 200, JSON.stringify(r), "application/json");
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      refused(h, req, path, 400, "bad_audit_event", err.message);
      send(res, 400, `${err.message}\n`);
    }
    return;
  }

  let event: FalcoEvent;
  try {
    event = decodeEvent(body.length === 1 ? body[0]!.toString("utf8") : Buffer.concat(body).toString("utf8"));
  } catch (err) {
    if (!(err instanceof EventDecodeError)) throw err;
    refused(h, req, path, 400, "bad_body", err.message);
    send(res, 400, `Please send a valid request body\n${err.message}\n`);
    return;
  }
  const result = await h.accept(event, traceContext);
  if (result === "full") {
    refused(h, req, path, 503, "queue_full");
    send(res, 503, "Service Unavailable\nthe event queue is full, retry later\n");
    return;
  }
  if (result === "stopped") {
    send(res, 503, "Service Unavailable\nthe server is shutting down\n");
    return;
  }
  send(res, 200);
}
