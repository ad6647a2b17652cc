/**
 * Configuration schema: Talon's `config.yaml` keys and the added ones (README, Configuration).
 * Every key can come from the file or from the environment (key uppercased, `.` → `_`),
 * including keys absent from the file.
 */
import { z } from "zod";
import { DEFAULT_RELEASE, parseFalcoRelease, releaseError } from "../falco/releases.js";
import { priorityError, RULE_MATCHING, readPriority, ruleMatchingError } from "../falco/settings.js";
import { describeValue } from "../validation/zod-errors.js";
import { BooleanWords, YAML_FALSE_WORDS, YAML_TRUE_WORDS } from "../yaml/boolean.js";

/**
 * The config's booleans: YAML's words (src/yaml/boolean.ts) in any letter case, plus what
 * environment variables carry: `1`/`0`, empty (false) and numbers (non-zero is true).
 */
const CONFIG_BOOLEANS = new BooleanWords([...YAML_TRUE_WORDS, "1"], [...YAML_FALSE_WORDS, "0", ""], true);

/** A boolean from the file or the environment; the JSON Schema pattern lists the words taken. */
export const boolish = z.union(
  [
    z.boolean(),
    z
      .string()
      .regex(new RegExp(CONFIG_BOOLEANS.pattern()), {
        error: (iss) => `expected a boolean (true or false), got '${iss.input}'`,
      })
      .transform((s) => CONFIG_BOOLEANS.read(s) === true),
    z.number().transform((n) => n !== 0),
  ],
  { error: (iss) => `expected a boolean (true or false), got ${describeValue(iss.input)}` },
);

/** A list given as a YAML list or as a comma-separated string (env vars). */
export const stringList = z.union(
  [
    z
      .array(
        z.union([z.string(), z.number(), z.boolean()], {
          error: (iss) => `expected a string, got ${describeValue(iss.input)}`,
        }),
      )
      .transform((items) => items.map(String)),
    z.string().transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter((x) => x !== ""),
    ),
  ],
  { error: (iss) => `expected a list or a comma-separated string, got ${describeValue(iss.input)}` },
);

const intish = z.coerce.number().int();

export const configSchema = z.object({
  listen_address: z.string().default("0.0.0.0"),
  listen_port: intish.min(0).max(65535).default(2803),
  rules_files: stringList.default(["/etc/falco-talon/rules.yaml"]),
  watch_rules: boolish.default(true),
  print_all_events: boolish.default(false),
  kubeconfig: z.string().default(""),
  log_format: z.enum(["color", "text", "json"]).default("color"),
  log_level: z.enum(["debug", "info", "warn", "error"]).default("info"),
  default_notifiers: stringList.default([]),
  deduplication: z
    .object({
      /** Accepted for compatibility; leader election is never used (see queue.nats). */
      leader_election: boolish.default(false),
      /** 0 turns deduplication off. */
      time_window_seconds: intish.min(0).default(5),
    })
    .prefault({}),
  /** Maximum accepted body size in bytes for the HTTP intake (413 above it). */
  max_body_bytes: intish.min(1).default(1024 * 1024),
  /** Bearer-token authentication of the HTTP endpoints (src/server/auth.ts). */
  auth: z
    .object({
      /** The token (env AUTH_TOKEN); empty and no token_file = no token required. */
      token: z.string().default(""),
      /** A file holding the token (trimmed), re-read when it changes; wins over `token`. */
      token_file: z.string().default(""),
      /**
       * Endpoints that need the token (and the client certificate, see tls). `console` (/ui) and
       * /actions need it whenever a token is set, listed or not.
       */
      protect: stringList
        .pipe(z.array(z.enum(["intake", "health", "metrics", "console"])))
        .default(["intake"]),
    })
    .prefault({}),
  /** HTTPS for the HTTP endpoints when cert_file and key_file are set. */
  tls: z
    .object({
      cert_file: z.string().default(""),
      key_file: z.string().default(""),
      /** CA bundle that client certificates are verified against (mTLS). */
      client_ca_file: z.string().default(""),
      /** Protected endpoints (auth.protect) need a client certificate signed by client_ca_file. */
      require_client_cert: boolish.default(false),
    })
    .prefault({}),
  /** Per-source-address token bucket on the intake (429 with Retry-After); 0 = off. */
  rate_limit: z
    .object({
      per_source_per_second: z.coerce.number().min(0).default(0),
      /** Bucket size; 0 = max(1, per_source_per_second). */
      burst: intish.min(0).default(0),
    })
    .prefault({}),
  /** The operator console at /ui on the intake port (src/server/console.ts). */
  console: z
    .object({
      /** Serve /ui; off: /ui paths are intake paths, as in Talon. */
      enabled: boolish.default(true),
      /** Events kept in memory for the live view (the oldest are forgotten first). */
      buffer: intish.min(10).max(100_000).default(1000),
    })
    .prefault({}),
  /** Action audit trail: one JSON line per action attempt (src/audit/log.ts). */
  audit: z
    .object({
      /** Appended to (never truncated); empty = off. */
      file: z.string().default(""),
      /** JetStream stream for the trail when queue.nats.url is set; empty = `<queue.nats.stream>_AUDIT`. */
      nats_stream: z.string().default(""),
    })
    .prefault({}),
  queue: z
    .object({
      /** Events waiting to be processed before intake answers 503. */
      capacity: intish.min(1).default(10000),
      /** Distinct targets processed concurrently. */
      concurrency: intish.min(1).default(16),
      /** Seconds to finish queued work on SIGTERM. */
      shutdown_timeout_seconds: intish.min(0).default(30),
      /** An action running longer than this is aborted and reported as a failure. */
      action_timeout_seconds: intish.min(1).default(600),
      nats: z
        .object({
          /** Comma-separated servers; non-empty switches to the JetStream queue (src/queue/jetstream.ts). */
          url: z.string().default(""),
          /** JetStream stream holding accepted events (work-queue retention, file storage). */
          stream: z.string().default("FALCO_TALON_EVENTS"),
          /** Per-target ordering partitions; every replica must use the same number. */
          partitions: intish.min(1).max(1024).default(16),
          /** Stream and KV replicas (1 on a single server, 3 on a 3-node cluster). */
          replicas: intish.min(1).max(5).default(1),
          /** An unacked event is redelivered to another replica after this many seconds. */
          ack_wait_seconds: intish.min(1).default(30),
          /** How long a handled event id is remembered, to skip it on redelivery. */
          idempotency_ttl_seconds: intish.min(1).default(3600),
          user: z.string().default(""),
          password: z.string().default(""),
          token: z.string().default(""),
        })
        .prefault({}),
    })
    .prefault({}),
  falco: z
    .object({
      /** Falco rules files evaluated by the built-in rule engine (k8s_audit, json). */
      rules_files: stringList.default([]),
      /** The `hostname` of its alerts, as Falco prints its host's name; empty: this machine's. */
      hostname: z.string().default(""),
      /** Falco's `rule_matching`: `first` stops at an event's first matching rule, `all` reports every one. */
      rule_matching: z
        .string()
        .refine((v) => (RULE_MATCHING as readonly string[]).includes(v), {
          error: (iss) => ruleMatchingError(String(iss.input)),
        })
        .transform((v) => v as (typeof RULE_MATCHING)[number])
        .default("first"),
      /** Falco's `priority`: the least severe rule priority loaded (`emergency` … `debug`). */
      priority: z
        .string()
        .refine((v) => readPriority(v) !== undefined, { error: (iss) => priorityError(String(iss.input)) })
        .default("debug"),
      /** Falco's `time_format_iso_8601`: the alert output's time prefix in ISO 8601 (UTC) instead of local time. */
      time_format_iso_8601: boolish.default(false),
      /** Falco's `json_include_output_property`: `falco-talon detect` alerts carry `output`. */
      json_include_output_property: boolish.default(true),
      /** Falco's `json_include_tags_property`: `falco-talon detect` alerts carry `tags`. */
      json_include_tags_property: boolish.default(true),
      /** Falco's `buffered_outputs`: `falco-talon detect` writes alerts in chunks instead of one by one. */
      buffered_outputs: boolish.default(false),
      /**
       * Check rules as this Falco release does: the engine version `required_engine_version` is
       * checked against and the deprecation warnings it prints (FALCO_RELEASES; quote it in YAML).
       */
      engine_version: z
        .string({
          error: (iss) =>
            `expected a Falco release as a string such as "0.42", got ${describeValue(iss.input)} (quote it: YAML reads 0.40 as the number 0.4)`,
        })
        .refine((v) => parseFalcoRelease(v) !== undefined, {
          error: (iss) => releaseError(String(iss.input)),
        })
        .default(DEFAULT_RELEASE),
    })
    .prefault({}),
  otel: z
    .object({
      traces_enabled: boolish.default(false),
      metrics_enabled: boolish.default(false),
      collector_endpoint: z.string().default("localhost"),
      collector_port: intish.default(4317),
      collector_use_insecure_grpc: boolish.default(false),
      timeout: intish.default(10),
    })
    .prefault({}),
  aws: z
    .object({
      region: z.string().default(""),
      access_key: z.string().default(""),
      secret_key: z.string().default(""),
      role_arn: z.string().default(""),
      external_id: z.string().default(""),
      /** Custom endpoint for the AWS SDK clients (tests, LocalStack-like services). */
      endpoint: z.string().default(""),
    })
    .prefault({}),
  gcp: z
    .object({
      credentials_path: z.string().default(""),
      region: z.string().default(""),
      /** Custom Cloud Storage API endpoint (tests with fake-gcs-server, private endpoints). */
      endpoint: z.string().default(""),
      /** Custom Cloud Functions API base URL (tests, private endpoints). */
      functions_endpoint: z.string().default(""),
    })
    .prefault({}),
  minio: z
    .object({
      endpoint: z.string().default(""),
      access_key: z.string().default(""),
      secret_key: z.string().default(""),
      use_ssl: boolish.default(false),
    })
    .prefault({}),
  /** `notifiers.<name>.<setting>`; each notifier validates its own settings. */
  notifiers: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
