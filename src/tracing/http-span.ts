/**
 * The HTTP server span of the event intake (Talon's otelhttp span for `/`). Talon wraps
 * only the handler of `/`, so only requests for exactly `/` get one; its parent is the remote
 * context of the request's `traceparent`, if any.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { type Context, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from "@opentelemetry/semantic-conventions";
import { extractTraceContext } from "./tracing.js";

const KNOWN_METHODS = new Set([
  "CONNECT",
  "DELETE",
  "GET",
  "HEAD",
  "OPTIONS",
  "PATCH",
  "POST",
  "PUT",
  "TRACE",
]);

/**
 * Starts the server span for a request to `/` and ends it when the response is done (with the
 * status code; 5xx marks it failed). Returns the context the request's work runs in: the
 * span's, or for other paths just the remote context of the request headers.
 */
export function startRequestSpan(
  tracer: Tracer,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Context {
  const remote = extractTraceContext(req.headers);
  if (path !== "/") return remote;
  const span = tracer.startSpan("/", { kind: SpanKind.SERVER }, remote);
  // Traces off: the span only carries ids, so skip the attributes and the end listeners.
  if (!span.isRecording()) return trace.setSpan(remote, span);
  span.setAttributes(requestAttributes(req, path));
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    finish(span, res);
  };
  res.once("finish", end);
  res.once("close", end);
  return trace.setSpan(remote, span);
}

function requestAttributes(req: IncomingMessage, path: string): Record<string, string | number> {
  const method = req.method ?? "GET";
  const [host, port] = splitHost(req.headers.host);
  const attributes: Record<string, string | number> = {
    [ATTR_HTTP_REQUEST_METHOD]: KNOWN_METHODS.has(method) ? method : "_OTHER",
    [ATTR_URL_SCHEME]: (req.socket as TLSSocket).encrypted ? "https" : "http",
    [ATTR_URL_PATH]: path,
    [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
  };
  if (host) attributes[ATTR_SERVER_ADDRESS] = host;
  if (port) attributes[ATTR_SERVER_PORT] = port;
  if (req.socket.remoteAddress) {
    attributes[ATTR_CLIENT_ADDRESS] = req.socket.remoteAddress;
    attributes[ATTR_NETWORK_PEER_ADDRESS] = req.socket.remoteAddress;
  }
  if (req.socket.remotePort) attributes[ATTR_NETWORK_PEER_PORT] = req.socket.remotePort;
  const userAgent = req.headers["user-agent"];
  if (userAgent) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent;
  return attributes;
}

function finish(span: Span, res: ServerResponse): void {
  if (res.headersSent) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
  if (!res.writableFinished)
    span.setStatus({ code: SpanStatusCode.ERROR, message: "response not completed" });
  else if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** Host header → [host, port]; IPv6 literals keep their brackets off. */
function splitHost(header: string | undefined): [string | undefined, number | undefined] {
  if (!header) return [undefined, undefined];
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header);
  if (!m) return [header, undefined];
  const host = m[1]!.replace(/^\[|\]$/g, "");
  return [host, m[2] ? Number(m[2]) : undefined];
}
