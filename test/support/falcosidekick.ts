/**
 * Falcosidekick as a client of our engine (its `talon` output).
 *
 * The real Falcosidekick is the binary FALCOSIDEKICK_BIN names (built by hand outside the
 * project, which never builds it), started by scripts/servers/falcosidekick.sh. Without it,
 * `startFalcosidekick` falls back to a stand-in that reproduces, from Falcosidekick's source,
 * exactly what its talon output puts on the wire:
 *  - intake (handlers.go): POST / with Falco's JSON, decoded with UseNumber (number literals
 *    kept verbatim); a body that does not decode or fails FalcoPayload.Check() is a 400
 *    "Please send a valid request body"; custom fields are merged into output_fields and a
 *    uuid is added;
 *  - forwarding (outputs/talon.go → client.go sendRequest): asynchronously, POST to the talon
 *    address with `Content-Type: application/json; charset=utf-8` and `User-Agent: Falcosidekick`;
 *  - encoding (types.FalcoPayload through encoding/json): fields in struct order
 *    (uuid, output, priority, rule, time, output_fields, source, tags, hostname; empty
 *    uuid/tags/hostname omitted), map keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped as
 *    \u003c…, priority in its canonical spelling, time re-encoded as RFC 3339 with nanoseconds
 *    (trailing zeros trimmed), and a trailing newline (json.Encoder).
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { JsonNumber } from "../../src/events/event.js";
import { JsonSyntaxError, parseJsonExact } from "../../src/events/json.js";

const ROOT = resolve(import.meta.dirname, "../..");

export interface Falcosidekick {
  /** Where Falco posts its alerts. */
  endpoint: string;
  /** "real" when FALCOSIDEKICK_BIN names a binary that started, "stand-in" otherwise. */
  kind: "real" | "stand-in";
  /** Why the real one could not be used (empty when it is). */
  reason: string;
  /** Every body the stand-in forwarded to the talon address, as sent. */
  forwarded: { headers: Record<string, string>; body: string; status: number }[];
  stop(): Promise<void>;
}

export async function startFalcosidekick(opts: {
  talonUrl: string;
  customFields?: Record<string, string>;
}): Promise<Falcosidekick> {
  const customFields = opts.customFields ?? {};
  const started = spawnSync("bash", ["scripts/servers/falcosidekick.sh", "start", opts.talonUrl], {
    cwd: ROOT,
    encoding: "utf8",
    env: {
      ...process.env,
      FALCOSIDEKICK_CUSTOMFIELDS: Object.entries(customFields)
        .map(([k, v]) => `${k}:${v}`)
        .join(","),
    },
  });
  if (started.status === 0) {
    const info = JSON.parse(started.stdout.trim().split("\n").pop()!) as { endpoint: string; pid: number };
    return {
      endpoint: info.endpoint,
      kind: "real",
      reason: "",
      forwarded: [],
      stop: async () => {
        try {
          process.kill(info.pid, "SIGTERM");
        } catch {
          // already gone
        }
      },
    };
  }
  const reason = started.stderr.trim().split("\n").slice(-3).join(" | ");
  return startStandIn(opts.talonUrl, customFields, reason);
}

async function startStandIn(
  talonUrl: string,
  customFields: Record<string, string>,
  reason: string,
): Promise<Falcosidekick> {
  const forwarded: Falcosidekick["forwarded"] = [];
  const inFlight = new Set<Promise<void>>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/ping") {
        res.end("pong\n");
        return;
      }
      const payload =
        req.method === "POST" ? decodeFalcoPayload(Buffer.concat(chunks).toString("utf8")) : undefined;
      if (!payload) {
        res.writeHead(400, { "Content-Type": "text/plain; charset=utf-8" });
        res.end("Please send a valid request body\n");
        return;
      }
      payload.output_fields = { ...payload.output_fields, ...customFields };
      payload.uuid = randomUUID();
      res.end();
      const body = `${encodeFalcoPayload(payload)}\n`;
      const headers = { "Content-Type": "application/json; charset=utf-8", "User-Agent": "Falcosidekick" };
      const sent = fetch(talonUrl, { method: "POST", headers, body })
        .then(async (r) => {
          await r.text();
          forwarded.push({ headers, body, status: r.status });
        })
        .catch((err: unknown) => {
          forwarded.push({ headers, body, status: 0 });
          console.error(`falcosidekick stand-in: post to ${talonUrl} failed: ${String(err)}`);
        })
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    kind: "stand-in",
    reason,
    forwarded,
    stop: async () => {
      await Promise.all(inFlight);
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface FalcoPayload {
  uuid?: string;
  output: string;
  priority: string;
  rule: string;
  time: string;
  output_fields: Record<string, unknown>;
  source: string;
  tags?: unknown[];
  hostname?: string;
}

/** types.Priority: Falcosidekick's accepted spellings, mapped to the canonical name. */
const PRIORITIES: Record<string, string> = {
  emergency: "Emergency",
  alert: "Alert",
  critical: "Critical",
  error: "Error",
  warning: "Warning",
  notice: "Notice",
  informational: "Informational",
  info: "Informational",
  debug: "Debug",
};

/** newFalcoPayload + FalcoPayload.Check(): undefined means a 400. */
function decodeFalcoPayload(text: string): FalcoPayload | undefined {
  let value: unknown;
  try {
    value = parseJsonExact(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) return undefined;
    throw err;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  // encoding/json matches keys case-insensitively.
  const field = (name: string): unknown => {
    const o = value as Record<string, unknown>;
    if (name in o) return o[name];
    const key = Object.keys(o).find((k) => k.toLowerCase() === name);
    return key === undefined ? undefined : o[key];
  };
  const priority = PRIORITIES[String(field("priority") ?? "").toLowerCase()];
  const rule = field("rule");
  const time = field("time");
  const outputFields = field("output_fields");
  if (!priority || typeof rule !== "string" || rule === "" || typeof time !== "string") return undefined;
  if (Number.isNaN(Date.parse(time))) return undefined;
  if (typeof outputFields !== "object" || outputFields === null || Object.keys(outputFields).length === 0)
    return undefined;
  const output = field("output");
  const source = field("source");
  const tags = field("tags");
  const hostname = field("hostname");
  return {
    output: typeof output === "string" ? output : "",
    priority,
    rule,
    time: rfc3339Nano(time),
    output_fields: outputFields as Record<string, unknown>,
    source: typeof source === "string" ? source : "",
    tags: Array.isArray(tags) ? tags : undefined,
    hostname: typeof hostname === "string" ? hostname : undefined,
  };
}

/** time.Time's MarshalJSON: RFC 3339 with up to 9 fractional digits, trailing zeros trimmed. */
function rfc3339Nano(time: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i.exec(time);
  if (!m) return new Date(time).toISOString().replace(/\.?0+Z$/, "Z");
  const fraction = (m[2] ?? "").slice(0, 9).replace(/0+$/, "");
  const zone = m[3]!.toUpperCase() === "Z" ? "Z" : m[3]!;
  return `${m[1]}${fraction ? `.${fraction}` : ""}${zone}`;
}

function encodeFalcoPayload(p: FalcoPayload): string {
  const parts: string[] = [];
  if (p.uuid) parts.push(`"uuid":${goString(p.uuid)}`);
  parts.push(`"output":${goString(p.output)}`);
  parts.push(`"priority":${goString(p.priority)}`);
  parts.push(`"rule":${goString(p.rule)}`);
  parts.push(`"time":${goString(p.time)}`);
  parts.push(`"output_fields":${goValue(p.output_fields)}`);
  parts.push(`"source":${goString(p.source)}`);
  if (p.tags && p.tags.length > 0) parts.push(`"tags":${goValue(p.tags)}`);
  if (p.hostname) parts.push(`"hostname":${goString(p.hostname)}`);
  return `{${parts.join(",")}}`;
}

/** encoding/json's string escaping, HTML-safe as json.Encoder is by default. */
function goString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function goValue(v: unknown): string {
  if (v instanceof JsonNumber) return v.raw;
  if (typeof v === "string") return goString(v);
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(goValue).join(",")}]`;
  // Go sorts map keys by their bytes.
  const keys = Object.keys(v).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${keys.map((k) => `${goString(k)}:${goValue((v as Record<string, unknown>)[k])}`).join(",")}}`;
}
