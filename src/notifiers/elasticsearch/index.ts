/**
 * elasticsearch — indexes each notification as a document.
 * Unlike Talon, basic auth and custom headers are sent on every request and the index
 * template is valid JSON; it is created once per (url, index) when missing.
 */
import { z } from "zod";
import { boolish } from "../../config/schema.js";
import { errorText } from "../../error-text.js";
import { defineNotifier } from "../../plugins/define.js";
import type { Notification } from "../../plugins/types.js";
import { basicAuth, type HttpOptions, sendHttp } from "../http.js";
import { notificationJson } from "../payload.js";
import { customHeaders, httpBehaviour, httpUrl } from "../settings.js";

const parameters = z.object({
  url: httpUrl,
  user: z.string().default(""),
  password: z.string().default(""),
  index: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, "must be a lowercase Elasticsearch index name")
    .default("falco-talon"),
  suffix: z.enum(["daily", "monthly", "annually", "none"]).default("daily"),
  create_index_template: boolish.default(true),
  number_of_shards: z.coerce.number().int().min(1).default(3),
  number_of_replicas: z.coerce.number().int().min(1).default(3),
  custom_headers: customHeaders,
  ...httpBehaviour,
});

export type ElasticsearchSettings = z.output<typeof parameters>;

/** `<index>-YYYY.MM.DD`, `-YYYY.MM`, `-YYYY` or `<index>` (UTC dates). */
export function indexName(s: Pick<ElasticsearchSettings, "index" | "suffix">, now: Date): string {
  const y = now.getUTCFullYear();
  const m = String(now.getUTCMonth() + 1).padStart(2, "0");
  const d = String(now.getUTCDate()).padStart(2, "0");
  switch (s.suffix) {
    case "daily":
      return `${s.index}-${y}.${m}.${d}`;
    case "monthly":
      return `${s.index}-${y}.${m}`;
    case "annually":
      return `${s.index}-${y}`;
    default:
      return s.index;
  }
}

/** Dots in object keys would become nested objects (and mapping conflicts) in Elasticsearch. */
function flattenKey(k: string): string {
  return k.replaceAll(".", "_");
}

/** The document: the LogLine (Talon's key order) with object keys flattened. */
export function elasticsearchDocument(n: Notification): Record<string, unknown> {
  const doc = notificationJson(n);
  if (doc["objects"] !== undefined) {
    doc["objects"] = Object.fromEntries(Object.entries(n.objects).map(([k, v]) => [flattenKey(k), v]));
  }
  return doc;
}

const keyword = { type: "keyword" } as const;

export function indexTemplate(s: ElasticsearchSettings): Record<string, unknown> {
  return {
    index_patterns: [`${s.index}-*`, s.index],
    template: {
      settings: { number_of_shards: s.number_of_shards, number_of_replicas: s.number_of_replicas },
      mappings: {
        dynamic_templates: [{ objects_as_keywords: { path_match: "objects.*", mapping: keyword } }],
        properties: {
          time: { type: "date" },
          trace_id: keyword,
          rule: keyword,
          event: { type: "text" },
          message: keyword,
          priority: keyword,
          source: keyword,
          result: { type: "text" },
          output: { type: "text" },
          category: keyword,
          output_name: keyword,
          output_target: keyword,
          actionner: keyword,
          action: keyword,
          error: { type: "text" },
          status: keyword,
          stage: keyword,
          objects: { type: "object" },
        },
      },
    },
  };
}

function requestHeaders(s: ElasticsearchSettings): Record<string, string> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (s.user !== "") headers["Authorization"] = basicAuth(s.user, s.password);
  return Object.assign(headers, s.custom_headers);
}

/**
 * Template creation memo per configuration, keyed by `<url> <index>`: a successful check is
 * done once (a reloaded configuration checks again); a failed one is forgotten so the next
 * notification tries again.
 */
const templatesByConfig = new WeakMap<object, Map<string, Promise<void>>>();

async function ensureTemplate(
  scope: object,
  s: ElasticsearchSettings,
  base: string,
  http: HttpOptions,
): Promise<void> {
  let templates = templatesByConfig.get(scope);
  if (templates === undefined) {
    templates = new Map();
    templatesByConfig.set(scope, templates);
  }
  const key = `${base} ${s.index}`;
  let pending = templates.get(key);
  if (pending === undefined) {
    const url = `${base}/_index_template/${encodeURIComponent(s.index)}`;
    const headers = requestHeaders(s);
    pending = (async () => {
      const probe = await sendHttp({ url, method: "GET", headers }, { ...http, accept: [404] });
      if (probe.status !== 404) return;
      await sendHttp({ url, method: "PUT", headers, body: JSON.stringify(indexTemplate(s)) }, http);
    })();
    templates.set(key, pending);
    pending.catch(() => templates.delete(key));
  }
  try {
    await pending;
  } catch (err) {
    throw new Error(`index template '${s.index}': ${errorText(err)}`);
  }
}

export default defineNotifier({
  info: {
    name: "elasticsearch",
    description: "Send a document to Elasticsearch",
    permissions: {},
    example: `notifiers:
  elasticsearch:
    url: "http://localhost:9200"
    user: ""
    password: ""
    index: "falco-talon"
    suffix: daily
    create_index_template: true
    number_of_shards: 3
    number_of_replicas: 3
    custom_headers:
      X-Custom: "value"
`,
  },
  parameters,
  async send(notification, settings, env) {
    const base = settings.url.replace(/\/+$/, "");
    const http = {
      timeoutMs: settings.timeout_seconds * 1000,
      attempts: settings.max_attempts,
      signal: env.signal,
    };
    if (settings.create_index_template) await ensureTemplate(env.config, settings, base, http);
    const index = indexName(settings, new Date());
    await sendHttp(
      {
        url: `${base}/${index}/_doc`,
        method: "POST",
        headers: requestHeaders(settings),
        body: JSON.stringify(elasticsearchDocument(notification)),
      },
      http,
    );
  },
});
