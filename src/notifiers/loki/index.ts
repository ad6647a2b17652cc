/**
 * loki — pushes one log line per notification.
 * Labels stay bounded: no trace id and no per-object values (they go in the line instead),
 * so every alert does not create a new Loki stream.
 */
import { z } from "zod";
import { defineNotifier } from "../../plugins/define.js";
import type { Notification } from "../../plugins/types.js";
import { basicAuth, sendHttp } from "../http.js";
import { sortedObjects } from "../payload.js";
import { customHeaders, httpBehaviour, httpUrl } from "../settings.js";

const parameters = z.object({
  url: httpUrl,
  user: z.string().default(""),
  api_key: z.string().default(""),
  tenant: z.string().default(""),
  custom_headers: customHeaders,
  ...httpBehaviour,
});

export type LokiSettings = z.output<typeof parameters>;

const labelValue = (s: string) => s.toLowerCase().replaceAll(" ", "_");

/** Low-cardinality stream labels; empty ones are omitted. */
export function lokiLabels(n: Notification): Record<string, string> {
  const labels: Record<string, string> = {
    status: n.status,
    rule: labelValue(n.rule),
    action: labelValue(n.action),
    actionner: n.actionner,
    outputtarget: n.output_target ?? "",
    message: n.message,
  };
  for (const [k, v] of Object.entries(labels)) if (v === "") delete labels[k];
  return labels;
}

const logfmtValue = (v: string) => (/^[^\s"=]+$/.test(v) ? v : JSON.stringify(v));

/** Talon's line (error, else result, else output) followed by trace id and objects in logfmt. */
export function lokiLine(n: Notification): string {
  const text = n.error || n.result || n.output || "";
  const pairs: string[] = [];
  if (n.trace_id) pairs.push(`trace_id=${logfmtValue(n.trace_id)}`);
  for (const [k, v] of sortedObjects(n.objects ?? {})) pairs.push(`${k.toLowerCase()}=${logfmtValue(v)}`);
  return [text, ...pairs].filter((s) => s !== "").join(" ");
}

/** Nanoseconds since the epoch as a string (Loki's timestamp format). */
export function unixNanos(time: string | Date): string {
  const ms = typeof time === "string" ? Date.parse(time) : time.getTime();
  return `${BigInt(Number.isNaN(ms) ? Date.now() : ms) * 1_000_000n}`;
}

export function lokiPushBody(n: Notification): string {
  return JSON.stringify({ streams: [{ stream: lokiLabels(n), values: [[unixNanos(n.time), lokiLine(n)]] }] });
}

export default defineNotifier({
  info: {
    name: "loki",
    description: "Send a log to Loki",
    permissions: {},
    example: `notifiers:
  loki:
    url: "http://loki:3100"
    user: ""
    api_key: ""
    tenant: ""
    custom_headers:
      X-Custom: "value"
`,
  },
  parameters,
  async send(notification, settings, env) {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (settings.user !== "" && settings.api_key !== "") {
      headers["Authorization"] = basicAuth(settings.user, settings.api_key);
    }
    if (settings.tenant !== "") headers["X-Scope-OrgID"] = settings.tenant;
    Object.assign(headers, settings.custom_headers);
    await sendHttp(
      {
        url: `${settings.url.replace(/\/+$/, "")}/loki/api/v1/push`,
        method: "POST",
        headers,
        body: lokiPushBody(notification),
      },
      { timeoutMs: settings.timeout_seconds * 1000, attempts: settings.max_attempts, signal: env.signal },
    );
  },
});
