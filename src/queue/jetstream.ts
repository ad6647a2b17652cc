/**
 * The distributed queue (queue.nats.url): every replica publishes accepted events to one
 * JetStream stream (file storage, work-queue retention) and consumes them from shared durable
 * pull consumers, so an event is handled by one replica, at least once.
 *
 * Per-target order across replicas: subjects are partitioned by hash(targetKey) into N
 * partitions, each with one durable consumer with max_ack_pending 1, and every replica pulls
 * from every partition. JetStream hands out a partition's next message only once the previous
 * one is acked, and a crashed replica's message is redelivered first, so order comes from the
 * server with nothing to renew or expire. A KV lease per target was the alternative; it was not
 * chosen because a replica pulling a later event of a leased target would have to hold or nak
 * it (nak redelivery reorders), and leases need renewal and expiry handling of their own. The
 * cost of partitions is head-of-line blocking between targets sharing a partition, bounded by
 * the number of partitions (which every replica must agree on).
 *
 * Idempotency under redelivery: a KV bucket records each event id, claimed with `kv.create`
 * (first writer wins) before acting and marked done after the handler finished (actions and
 * outputs); only then is the message acked. A redelivered event already done (the replica died
 * between done and ack) is skipped. One only claimed is taken over and run again, since a live
 * claimer keeps its message with `working()` heartbeats: at-least-once, never silently lost.
 *
 * The event span's trace context travels in the message headers (`traceparent`, `tracestate`,
 * `baggage`), so the consuming replica's spans continue the producer's trace.
 */

import { createHash } from "node:crypto";
import {
  AckPolicy,
  type Consumer,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { connect, headers as natsHeaders } from "@nats-io/transport-node";
import { type Context, ROOT_CONTEXT } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { errorText } from "../error-text.js";
import { decodeEventValue } from "../events/decode.js";
import type { FalcoEvent } from "../events/event.js";
import { parseJsonExact, stringifyJsonExact } from "../events/json.js";
import { extractTraceContext, injectTraceHeaders, type TraceHeaders } from "../tracing/tracing.js";
import { dedupKey } from "./dedup.js";
import { targetKey } from "./target.js";
import type { CooldownStore, EventQueue, PushResult } from "./types.js";

type NatsConnection = Awaited<ReturnType<typeof connect>>;

export interface JetStreamQueueOptions {
  /** NATS servers (nats://host:port). */
  servers: string[];
  /** Stream name; also the subject prefix (`<stream>.<partition>`) and the KV bucket prefix. */
  stream: string;
  partitions: number;
  /** Stream, consumer and KV replicas. */
  replicas: number;
  ackWaitMs: number;
  /** JetStream duplicate window; 0 turns deduplication off (no msgID is sent). */
  dedupWindowMs: number;
  idempotencyTtlMs: number;
  /** Names this replica in KV claims and NATS connection names. */
  replicaId?: string;
  user?: string;
  password?: string;
  token?: string;
  /** How long an idle pull request waits before it is renewed. */
  pullExpiresMs?: number;
  /** PubAck wait per attempt (default 3000) and attempts before push fails (default 6). */
  publishTimeoutMs?: number;
  publishAttempts?: number;
  logger?: Logger;
}

export function jetStreamOptionsFromConfig(config: Config, logger?: Logger): JetStreamQueueOptions {
  const nats = config.queue.nats;
  return {
    servers: nats.url
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
    stream: nats.stream,
    partitions: nats.partitions,
    replicas: nats.replicas,
    ackWaitMs: nats.ack_wait_seconds * 1000,
    dedupWindowMs: config.deduplication.time_window_seconds * 1000,
    idempotencyTtlMs: nats.idempotency_ttl_seconds * 1000,
    user: nats.user,
    password: nats.password,
    token: nats.token,
    logger,
  };
}

/** Counters for tests and operators. */
export interface JetStreamQueueStats {
  /** Events stored in the stream by this replica's push. */
  published: number;
  /** Pushes JetStream dropped as duplicates (same dedup key inside the window, any replica). */
  duplicates: number;
  /** Messages this replica received with a delivery count above 1. */
  redeliveries: number;
  /** Redelivered events skipped because the KV says another run already finished them. */
  alreadyDone: number;
  /** Events claimed by a replica that never finished them, run again here. */
  takenOver: number;
  /** Events this replica handled (handler settled). */
  handled: number;
}

type Claim = { state: "claimed" | "done"; replica: string; at: number };

const nanos = (ms: number) => ms * 1_000_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The partition of a target: the same on every replica for the same partition count. */
export function partitionOf(key: string, partitions: number): number {
  return createHash("sha256").update(key).digest().readUInt32BE(0) % partitions;
}

/** Parses a stored event, keeping the id, output and trace id given at intake. */
export function decodeQueuedEvent(data: Uint8Array): FalcoEvent {
  const raw = parseJsonExact(Buffer.from(data).toString("utf8"));
  const event = decodeEventValue(raw);
  const fields = raw as Record<string, unknown>;
  if (typeof fields.id !== "string" || fields.id === "") throw new Error("queued event has no id");
  event.id = fields.id;
  // decodeEventValue strips Falco's time prefix; the stored output is already clean.
  if (typeof fields.output === "string") event.output = fields.output;
  if (typeof fields.trace_id === "string") event.trace_id = fields.trace_id;
  return event;
}

/** The trace propagation headers a producer put on the message (lowercase names). */
function traceHeadersOf(msg: JsMsg): TraceHeaders {
  const trace: TraceHeaders = {};
  if (!msg.headers) return trace;
  for (const key of msg.headers.keys()) {
    const name = key.toLowerCase();
    if (name === "traceparent" || name === "tracestate" || name === "baggage") {
      trace[name] = msg.headers.get(key);
    }
  }
  return trace;
}

function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

export class JetStreamEventQueue implements EventQueue {
  readonly stats: JetStreamQueueStats = {
    published: 0,
    duplicates: 0,
    redeliveries: 0,
    alreadyDone: 0,
    takenOver: 0,
    handled: 0,
  };
  readonly replicaId: string;
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private jsm?: JetStreamManager;
  private kv?: KV;
  private handler?: (event: FalcoEvent, trace: Context) => Promise<void>;
  private onError?: (err: unknown, event: FalcoEvent) => void;
  private consuming = false;
  private closed = false;
  private pushing = 0;
  private handling = 0;
  private readonly idle = new Set<() => void>();
  private readonly loops: Promise<void>[] = [];

  private constructor(private readonly opts: JetStreamQueueOptions) {
    if (opts.servers.length === 0) throw new Error("queue.nats.url lists no server");
    if (!/^[A-Za-z0-9_-]+$/.test(opts.stream)) {
      throw new Error(`queue.nats.stream '${opts.stream}' may only contain letters, digits, '-' and '_'`);
    }
    this.replicaId = opts.replicaId ?? `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  }

  /** Connects and creates (or updates) the stream, the partition consumers and the KV bucket. */
  static async connect(opts: JetStreamQueueOptions): Promise<JetStreamEventQueue> {
    const queue = new JetStreamEventQueue(opts);
    try {
      await queue.setup();
    } catch (err) {
      await queue.nc?.close().catch(() => {});
      throw new Error(`NATS JetStream queue (${opts.servers.join(",")}): ${errorText(err)}`);
    }
    return queue;
  }

  private async setup(): Promise<void> {
    const { opts } = this;
    this.nc = await connect({
      servers: opts.servers,
      name: `falco-talon-${this.replicaId}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      ...(opts.user ? { user: opts.user, pass: opts.password } : {}),
      ...(opts.token ? { token: opts.token } : {}),
    });
    this.jsm = await jetstreamManager(this.nc);
    this.js = this.jsm.jetstream();
    await this.ensureStream({
      name: opts.stream,
      subjects: [`${opts.stream}.*`],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: opts.replicas,
      // 0 keeps the server default window; without a msgID nothing is deduplicated anyway.
      duplicate_window: opts.dedupWindowMs > 0 ? nanos(opts.dedupWindowMs) : 0,
    });
    for (let p = 0; p < opts.partitions; p++) await this.ensureConsumer(p);
    this.kv = await new Kvm(this.js).create(`${opts.stream}_done`, {
      ttl: opts.idempotencyTtlMs,
      replicas: opts.replicas,
      history: 1,
      storage: StorageType.File,
    });
  }

  private async ensureStream(config: Partial<StreamConfig> & { name: string }): Promise<void> {
    const jsm = this.jsm!;
    try {
      await jsm.streams.add(config);
    } catch (err) {
      // Another replica (or an earlier run with other settings) created it: align what can change.
      if (!/already in use/i.test(errorText(err))) throw err;
      const { retention: _retention, storage: _storage, ...changeable } = config;
      await jsm.streams.update(config.name, changeable);
    }
  }

  private consumerName(p: number): string {
    return `${this.opts.stream}_p${p}`;
  }

  private async ensureConsumer(p: number): Promise<void> {
    const { opts } = this;
    const jsm = this.jsm!;
    const name = this.consumerName(p);
    const config = {
      durable_name: name,
      filter_subject: `${opts.stream}.${p}`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      // One unacked message per partition across all replicas: this is the per-target order.
      max_ack_pending: 1,
      ack_wait: nanos(opts.ackWaitMs),
      max_deliver: -1,
      num_replicas: opts.replicas,
    };
    try {
      await jsm.consumers.add(opts.stream, config);
    } catch (err) {
      if (!/already (exists|in use)/i.test(errorText(err))) throw err;
      await jsm.consumers.update(opts.stream, name, { ack_wait: config.ack_wait, max_deliver: -1 });
    }
  }

  get size(): number {
    return this.pushing + this.handling;
  }

  async push(event: FalcoEvent, trace: Context = ROOT_CONTEXT): Promise<PushResult> {
    const js = this.js!;
    const entries = Object.entries(injectTraceHeaders(trace));
    const headers = entries.length > 0 ? natsHeaders() : undefined;
    for (const [k, v] of entries) headers?.set(k, v);
    const subject = `${this.opts.stream}.${partitionOf(targetKey(event), this.opts.partitions)}`;
    const payload = stringifyJsonExact(event);
    const msgID = this.opts.dedupWindowMs > 0 ? dedupKey(event) : undefined;
    this.pushing++;
    try {
      // A node failover leaves the stream without a leader for a moment: retry with the same
      // msgID, so a publish that was stored but whose ack was lost comes back as a duplicate.
      let lastError: unknown;
      for (let attempt = 0; attempt < (this.opts.publishAttempts ?? 6); attempt++) {
        if (attempt > 0) await sleep(250 * attempt);
        try {
          const ack = await js.publish(subject, payload, {
            ...(msgID ? { msgID } : {}),
            ...(headers ? { headers } : {}),
            timeout: this.opts.publishTimeoutMs ?? 3000,
          });
          if (ack.duplicate) {
            this.stats.duplicates++;
            return "duplicate";
          }
          this.stats.published++;
          return "queued";
        } catch (err) {
          lastError = err;
          if (this.closed) break;
        }
      }
      throw new Error(`event not stored in JetStream: ${errorText(lastError)}`);
    } finally {
      this.pushing--;
      this.notifyIdle();
    }
  }

  start(
    handler: (event: FalcoEvent, trace: Context) => Promise<void>,
    onError: (err: unknown, event: FalcoEvent) => void,
  ): void {
    if (this.consuming || this.closed) return;
    this.handler = handler;
    this.onError = onError;
    this.consuming = true;
    for (let p = 0; p < this.opts.partitions; p++) this.loops.push(this.pullLoop(p));
  }

  private async pullLoop(p: number): Promise<void> {
    let consumer: Consumer | undefined;
    while (this.consuming) {
      try {
        consumer ??= await this.js!.consumers.get(this.opts.stream, this.consumerName(p));
        const msg = await consumer.next({ expires: this.opts.pullExpiresMs ?? 5000 });
        if (msg) await this.handleMessage(msg);
      } catch (err) {
        if (!this.consuming) break;
        consumer = undefined;
        this.opts.logger?.warn({ partition: p, error: errorText(err) }, "jetstream pull failed, retrying");
        await sleep(500);
      }
    }
  }

  private async handleMessage(msg: JsMsg): Promise<void> {
    if (!this.consuming) {
      msg.nak(); // stopping: let another replica have it now rather than after ack_wait
      return;
    }
    let event: FalcoEvent;
    try {
      event = decodeQueuedEvent(msg.data);
    } catch (err) {
      this.opts.logger?.error({ error: errorText(err), seq: msg.seq }, "undecodable queued event dropped");
      msg.term();
      return;
    }
    this.handling++;
    const beat = () => {
      try {
        msg.working();
      } catch {} // connection gone: the message will be redelivered, nothing to do here
    };
    const heartbeat = setInterval(beat, Math.max(100, this.opts.ackWaitMs / 3));
    try {
      if (msg.info.redelivered) this.stats.redeliveries++;
      if ((await this.claim(event.id)) === "done") {
        this.stats.alreadyDone++;
        this.opts.logger?.info(
          { trace_id: event.trace_id, event_id: event.id },
          "redelivered event already handled, skipped",
        );
      } else {
        try {
          await this.handler!(event, extractTraceContext(traceHeadersOf(msg)));
        } catch (err) {
          this.onError!(err, event);
        }
        this.stats.handled++;
        await this.kv!.put(event.id, this.claimValue("done"));
      }
      await msg.ackAck();
    } catch (err) {
      // Not acked: JetStream redelivers it; the KV claim decides whether it runs again.
      this.opts.logger?.warn(
        { trace_id: event.trace_id, event_id: event.id, error: errorText(err) },
        "jetstream ack failed",
      );
      try {
        msg.nak();
      } catch {}
    } finally {
      clearInterval(heartbeat);
      this.handling--;
      this.notifyIdle();
    }
  }

  private claimValue(state: Claim["state"]): string {
    return JSON.stringify({ state, replica: this.replicaId, at: Date.now() } satisfies Claim);
  }

  /**
   * Cooldowns shared by every replica: a KV bucket `<stream>_cooldowns` holding, per hashed
   * rule+target, the time its cooldown ends. Events of one target are handled one at a time
   * across replicas (one in flight per partition), and writes are compare-and-set anyway.
   * Entries older than `maxAgeMs` (default 7 days) expire with the bucket's max age.
   */
  cooldowns(maxAgeMs = 7 * 24 * 3600 * 1000): CooldownStore {
    let bucket: Promise<KV> | undefined;
    const open = () => {
      bucket ??= new Kvm(this.js!)
        .create(`${this.opts.stream}_cooldowns`, {
          ttl: maxAgeMs,
          replicas: this.opts.replicas,
          history: 1,
          storage: StorageType.File,
        })
        .catch((err: unknown) => {
          bucket = undefined; // try again on the next claim
          throw err;
        });
      return bucket;
    };
    return {
      claim: async (key, seconds) => {
        const kv = await open();
        const id = createHash("sha256").update(key).digest("hex");
        for (let attempt = 0; attempt < 5; attempt++) {
          const now = Date.now();
          const next = String(now + seconds * 1000);
          const entry = await kv.get(id);
          try {
            if (entry?.operation !== "PUT") {
              if (entry)
                await kv.put(id, next); // deleted or purged
              else await kv.create(id, next);
              return undefined;
            }
            const until = Number(entry.string());
            if (until > now) return Math.ceil((until - now) / 1000);
            await kv.update(id, next, entry.revision);
            return undefined;
          } catch (err) {
            if (!isWrongLastSequence(err)) throw err; // another replica wrote first: read again
          }
        }
        throw new Error("cooldown: the shared entry kept changing under this replica");
      },
    };
  }

  /** "run" when this replica should act on the event, "done" when a previous run finished it. */
  private async claim(id: string): Promise<"run" | "done"> {
    const kv = this.kv!;
    try {
      await kv.create(id, this.claimValue("claimed"));
      return "run";
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
    const entry = await kv.get(id);
    if (entry?.operation !== "PUT") {
      await kv.put(id, this.claimValue("claimed"));
      return "run";
    }
    const previous = entry.json<Claim>();
    if (previous.state === "done") return "done";
    // Claimed but never finished: the claimer died or lost NATS (a live one keeps the message
    // with heartbeats). Compare-and-set, so two replicas cannot both take it over.
    await kv.update(id, this.claimValue("claimed"), entry.revision);
    if (previous.replica !== this.replicaId) this.stats.takenOver++;
    return "run";
  }

  private notifyIdle(): void {
    if (this.size > 0) return;
    for (const wake of [...this.idle]) wake();
  }

  /**
   * Stops taking messages and waits for the ones in hand. Events still in the stream are not
   * lost: other replicas (or this one after a restart) consume them.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.consuming = false;
    if (this.size === 0) return true;
    return new Promise<boolean>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.idle.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idle.delete(wake);
        resolve(this.size === 0);
      }, timeoutMs);
      this.idle.add(wake);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.consuming = false;
    this.closed = true;
    await this.nc?.close();
    await Promise.allSettled(this.loops);
  }

  /**
   * Drops the connection at once, acking nothing, as a crash would: JetStream redelivers the
   * messages in hand after ack_wait. For failure tests and fatal shutdowns.
   */
  async abort(): Promise<void> {
    this.consuming = false;
    this.closed = true;
    // Silence heartbeats and acks of handlers still running: they must not reach the server.
    const nc = this.nc;
    await nc?.close();
  }
}
