/**
 * The audit trail in distributed mode: every replica publishes its entries to one JetStream
 * stream (file storage, limits retention), so the trail survives restarts of both the engine
 * and the NATS servers, and `falco-talon audit --nats` lists all replicas' entries together.
 *
 * `record` only buffers: a background loop publishes in order and waits for each PubAck, so a
 * slow or unreachable NATS never blocks or crashes the pipeline. A failed publish is retried
 * with the same message id (the stream's duplicate window drops a copy that did get stored);
 * past `maxBuffered` entries the oldest are dropped and reported to onError.
 */

import { createHash } from "node:crypto";
import {
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { Config } from "../config/schema.js";
import { errorText } from "../error-text.js";
import {
  type AuditEntry,
  type AuditRecord,
  type AuditSink,
  auditEntry,
  auditLine,
  replicaId,
} from "./log.js";

type NatsConnection = Awaited<ReturnType<typeof connect>>;

export interface NatsAuditOptions {
  /** NATS servers (nats://host:port). */
  servers: string[];
  /** The audit stream's name; its subjects are `<stream>.<rule hash>`. */
  stream: string;
  /** Stream replicas (1 on a single server, 3 on a 3-node cluster). */
  replicas?: number;
  user?: string;
  password?: string;
  token?: string;
}

export interface JetStreamAuditOptions extends NatsAuditOptions {
  onError?: (message: string) => void;
  /** Entries kept while NATS is unreachable before the oldest are dropped. */
  maxBuffered?: number;
  /** Delay before retrying a failed publish. */
  retryMs?: number;
  /** Defaults to hostname:pid. */
  replica?: string;
}

const DUPLICATE_WINDOW_MS = 120_000;
const nanos = (ms: number) => ms * 1_000_000;

/** The audit stream for a configuration: audit.nats_stream, else `<queue.nats.stream>_AUDIT`. */
export function natsAuditOptionsFromConfig(config: Config): NatsAuditOptions {
  const nats = config.queue.nats;
  return {
    servers: splitServers(nats.url),
    stream: config.audit.nats_stream || `${nats.stream}_AUDIT`,
    replicas: nats.replicas,
    user: nats.user,
    password: nats.password,
    token: nats.token,
  };
}

export function splitServers(url: string): string[] {
  return url
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** The subject of a rule's entries, so a reader can filter one rule on the server. */
export function auditSubject(stream: string, rule: string): string {
  return `${stream}.${createHash("sha256").update(rule).digest("hex").slice(0, 16)}`;
}

function checkOptions(opts: NatsAuditOptions): void {
  if (opts.servers.length === 0) throw new Error("NATS audit stream: no server given");
  if (!/^[A-Za-z0-9_-]+$/.test(opts.stream))
    throw new Error(`audit stream '${opts.stream}' may only contain letters, digits, '-' and '_'`);
}

function connectNats(opts: NatsAuditOptions, name: string, reconnect: boolean): Promise<NatsConnection> {
  return connect({
    servers: opts.servers,
    name,
    timeout: 5000,
    ...(reconnect ? { maxReconnectAttempts: -1, reconnectTimeWait: 250 } : { maxReconnectAttempts: 0 }),
    ...(opts.user ? { user: opts.user, pass: opts.password } : {}),
    ...(opts.token ? { token: opts.token } : {}),
  });
}

export class JetStreamAuditLog implements AuditSink {
  private readonly buffer: { entry: AuditEntry; id: string }[] = [];
  private readonly replica: string;
  private readonly maxBuffered: number;
  private readonly retryMs: number;
  private readonly onError: (message: string) => void;
  private seq = 0;
  private dropped = 0;
  private pumping: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private closing = false;
  private readonly idle = new Set<() => void>();
  /** Entries the server acknowledged, for tests and operators. */
  published = 0;

  private constructor(
    private readonly opts: JetStreamAuditOptions,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
  ) {
    this.replica = opts.replica ?? replicaId();
    this.maxBuffered = opts.maxBuffered ?? 10_000;
    this.retryMs = opts.retryMs ?? 1000;
    this.onError = opts.onError ?? (() => {});
  }

  /** Connects and creates (or keeps) the stream; throws a clear error when it cannot. */
  static async connect(opts: JetStreamAuditOptions): Promise<JetStreamAuditLog> {
    checkOptions(opts);
    let nc: NatsConnection | undefined;
    try {
      nc = await connectNats(opts, `falco-talon-audit-${process.pid}`, true);
      const jsm = await jetstreamManager(nc);
      await ensureAuditStream(jsm, opts);
      return new JetStreamAuditLog(opts, nc, jsm.jetstream());
    } catch (err) {
      await nc?.close().catch(() => {});
      throw new Error(`NATS audit stream '${opts.stream}' (${opts.servers.join(",")}): ${errorText(err)}`);
    }
  }

  record(r: AuditRecord): void {
    if (this.closing) return;
    // The id makes a retried publish idempotent within the duplicate window.
    this.buffer.push({
      entry: auditEntry(r, this.replica),
      id: `${this.replica}/${Date.now()}/${++this.seq}`,
    });
    if (this.buffer.length > this.maxBuffered) {
      this.buffer.shift();
      if (this.dropped++ % 1000 === 0)
        this.onError(`audit stream '${this.opts.stream}': buffer full, dropped ${this.dropped} entries`);
    }
    this.pumping ??= this.pump();
    this.wake?.();
  }

  /** Resolves once every entry recorded so far was stored (or dropped at close). */
  flushed(): Promise<void> {
    if (this.buffer.length === 0 && !this.pumping) return Promise.resolve();
    return new Promise((r) => this.idle.add(r));
  }

  /** Publishes what is buffered for up to `timeoutMs`, then closes the connection. */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flushed(), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    if (this.buffer.length > 0)
      this.onError(
        `audit stream '${this.opts.stream}': ${this.buffer.length} entries not published at close`,
      );
    this.buffer.length = 0;
    this.wake?.();
    await this.pumping;
    await this.nc.close().catch(() => {});
  }

  private async pump(): Promise<void> {
    try {
      while (this.buffer.length > 0) {
        const head = this.buffer[0]!;
        try {
          await this.js.publish(auditSubject(this.opts.stream, head.entry.rule), auditLine(head.entry), {
            msgID: head.id,
          });
          if (this.buffer[0] === head) this.buffer.shift();
          this.published++;
        } catch (err) {
          if (this.buffer.length === 0) break;
          this.onError(`audit stream '${this.opts.stream}': publish failed, retrying: ${errorText(err)}`);
          await new Promise<void>((r) => {
            const t = setTimeout(r, this.retryMs);
            this.wake = () => {
              if (this.closing) {
                clearTimeout(t);
                r();
              }
            };
          });
          this.wake = undefined;
        }
      }
    } finally {
      this.pumping = undefined;
      for (const r of this.idle) r();
      this.idle.clear();
    }
  }
}

async function ensureAuditStream(jsm: JetStreamManager, opts: NatsAuditOptions): Promise<void> {
  const config = {
    name: opts.stream,
    subjects: [`${opts.stream}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: opts.replicas ?? 1,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  };
  try {
    await jsm.streams.add(config);
  } catch (err) {
    // Another replica created it already; its settings are the same.
    if (!/already in use/i.test(errorText(err))) throw err;
  }
}

export interface AuditStreamQuery {
  /** Only this rule's subject. */
  rule?: string;
  /** Epoch ms: starts the consumer near this time (entries are filtered exactly by the caller). */
  sinceMs?: number;
}

/** Entries stored by the server may lag their `time`; start the consumer this much earlier. */
const SINCE_SLACK_MS = 10 * 60_000;

/**
 * Every entry stored in the audit stream at the time of the call, in stream order, read with
 * an ordered consumer. Throws a clear error when the server or the stream is missing.
 */
export async function* readAuditStream(
  opts: NatsAuditOptions,
  query: AuditStreamQuery = {},
): AsyncGenerator<string> {
  checkOptions(opts);
  let nc: NatsConnection;
  try {
    nc = await connectNats(opts, `falco-talon-audit-cli-${process.pid}`, false);
  } catch (err) {
    throw new Error(`NATS (${opts.servers.join(",")}): ${errorText(err)}`);
  }
  try {
    const jsm = await jetstreamManager(nc);
    const subject = query.rule !== undefined ? auditSubject(opts.stream, query.rule) : `${opts.stream}.>`;
    let lastSeq: number;
    try {
      const info = await jsm.streams.info(opts.stream);
      lastSeq = info.state.last_seq;
      if (info.state.messages === 0) return;
    } catch (err) {
      throw new Error(`audit stream '${opts.stream}' cannot be read: ${errorText(err)}`);
    }
    const consumer = await jsm.jetstream().consumers.get(opts.stream, {
      // A string (not an array) is sent as filter_subject, which servers before 2.10 accept.
      filter_subjects: subject,
      ...(query.sinceMs !== undefined
        ? {
            deliver_policy: DeliverPolicy.StartTime,
            opt_start_time: new Date(Math.max(0, query.sinceMs - SINCE_SLACK_MS)).toISOString(),
          }
        : { deliver_policy: DeliverPolicy.All }),
    });
    for (;;) {
      const batch = await consumer.fetch({ max_messages: 512, expires: 1000 });
      let got = 0;
      let done = false;
      for await (const m of batch) {
        got++;
        yield m.string();
        // Entries published after the listing started are for the next listing.
        if (m.info.pending === 0 || m.seq >= lastSeq) {
          done = true;
          batch.stop();
          break;
        }
      }
      if (done || got === 0) break;
    }
  } finally {
    await nc.close().catch(() => {});
  }
}
