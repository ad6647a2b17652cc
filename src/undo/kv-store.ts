/**
 * The undo store in distributed mode: one JetStream KV bucket (file storage) shared by every
 * replica, so a reversible action outlives the replica that took it and any replica can revert
 * it or run its expiry.
 *
 * A key is an action id; its value is the StoredAction as JSON plus the expiry claim
 * (`claim: {replica, until}`). Every change after the first write is a compare-and-set on the
 * key's revision (`kv.update`), so two replicas racing for the same expiry or recording reverts
 * at once never lose a write: the loser reads again and decides on what is there now.
 */

import { JetStreamApiCodes, JetStreamApiError, StorageType } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { splitServers } from "../audit/jetstream.js";
import type { Config } from "../config/schema.js";
import { errorText } from "../error-text.js";
import {
  ACTION_ID,
  isReverted,
  isSettled,
  type ReversibleAction,
  type RevertRecord,
  type StoredAction,
} from "./action.js";
import type { UndoStore } from "./store.js";

type NatsConnection = Awaited<ReturnType<typeof connect>>;

export interface NatsUndoOptions {
  /** NATS servers (nats://host:port). */
  servers: string[];
  /** The KV bucket's name (its stream is `KV_<bucket>`). */
  bucket: string;
  /** Bucket replicas (1 on a single server, 3 on a 3-node cluster). */
  replicas?: number;
  user?: string;
  password?: string;
  token?: string;
}

export interface KvUndoStoreOptions extends NatsUndoOptions {
  /** How long the first connection may take (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Told about a key whose value is not an action record; list and due skip it. */
  onError?: (message: string) => void;
}

/** The expiry claim kept next to the action: who runs the expiry, until when (ISO time). */
interface Claim {
  replica: string;
  until: string;
}

type KvValue = StoredAction & { claim?: Claim };

interface Read {
  value: KvValue;
  revision: number;
}

/** Compare-and-set attempts before giving up on a key other replicas keep changing. */
const CAS_ATTEMPTS = 10;

/** The undo bucket for a configuration: `<queue.nats.stream>_UNDO`. */
export function kvUndoOptionsFromConfig(config: Config): NatsUndoOptions {
  const nats = config.queue.nats;
  return {
    servers: splitServers(nats.url),
    bucket: `${nats.stream}_UNDO`,
    replicas: nats.replicas,
    user: nats.user,
    password: nats.password,
    token: nats.token,
  };
}

function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** The action as callers see it: the claim is this store's business. */
function stored(value: KvValue): StoredAction {
  const { claim: _claim, ...action } = value;
  return action;
}

function byTime(a: StoredAction, b: StoredAction): number {
  return Date.parse(a.time) - Date.parse(b.time) || a.action_id.localeCompare(b.action_id);
}

/** A key whose value is not an action record (written by something else). */
class NotAnAction extends Error {}

export class KvUndoStore implements UndoStore {
  private closed = false;

  private constructor(
    private readonly opts: KvUndoStoreOptions,
    private readonly nc: NatsConnection,
    private readonly kv: KV,
  ) {}

  /** Connects and creates (or binds) the bucket; throws a clear error when it cannot. */
  static async open(opts: KvUndoStoreOptions): Promise<KvUndoStore> {
    const where = `NATS undo bucket '${opts.bucket}' (${opts.servers.join(",")})`;
    if (opts.servers.length === 0) throw new Error(`${where}: no server given`);
    if (!/^[A-Za-z0-9_-]+$/.test(opts.bucket))
      throw new Error(`${where}: the name may only contain letters, digits, '-' and '_'`);
    let nc: NatsConnection | undefined;
    try {
      nc = await connect({
        servers: opts.servers,
        name: `falco-talon-undo-${process.pid}`,
        timeout: opts.connectTimeoutMs ?? 5000,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        ...(opts.user ? { user: opts.user, pass: opts.password } : {}),
        ...(opts.token ? { token: opts.token } : {}),
      });
      const kv = await new Kvm(nc).create(opts.bucket, {
        storage: StorageType.File,
        replicas: opts.replicas ?? 1,
        history: 1,
        // Reads go to the stream leader: a follower's older value would only make the
        // compare-and-set loops below fail and read again.
        allow_direct: false,
      });
      return new KvUndoStore(opts, nc, kv);
    } catch (err) {
      await nc?.close().catch(() => {});
      throw new Error(`${where}: ${errorText(err)}`);
    }
  }

  get bucket(): string {
    return this.opts.bucket;
  }

  async put(action: ReversibleAction): Promise<void> {
    if (!ACTION_ID.test(action.action_id))
      throw new Error(`undo store: '${action.action_id}' is not an action id`);
    try {
      await this.kv.create(action.action_id, JSON.stringify(action));
    } catch (err) {
      // The key exists: a redelivered event acted again. The first record knows the state
      // before the action (the second run may have found it already changed), so it stays.
      if (!isWrongLastSequence(err)) throw this.failed("put", err);
    }
  }

  async get(id: string): Promise<StoredAction | undefined> {
    if (!ACTION_ID.test(id)) return undefined;
    const read = await this.read(id);
    return read && stored(read.value);
  }

  async list(): Promise<StoredAction[]> {
    return (await this.scan()).map(stored).sort(byTime);
  }

  async reverted(record: RevertRecord): Promise<void> {
    if (!ACTION_ID.test(record.action_id)) return;
    await this.change(record.action_id, (value) => {
      // A success stays the outcome: a later no-op revert does not hide it.
      const revert = isReverted(value) ? value.revert : record;
      if (revert === value.revert && value.claim === undefined) return undefined;
      return { ...stored(value), revert };
    });
  }

  async due(now: number): Promise<StoredAction[]> {
    const due = (await this.scan()).filter(
      (v) => v.revert_at !== undefined && !isSettled(v) && Date.parse(v.revert_at) <= now,
    );
    return due.map(stored).sort(byTime);
  }

  async claim(id: string, replica: string, leaseMs: number): Promise<boolean> {
    if (!ACTION_ID.test(id)) return false;
    return this.change(id, (value) => {
      const now = Date.now();
      if (isSettled(value)) return undefined;
      if (value.claim && Date.parse(value.claim.until) > now) return undefined;
      return { ...value, claim: { replica, until: new Date(now + leaseMs).toISOString() } };
    });
  }

  /** Lets pending writes finish, then closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.nc.drain().catch(() => this.nc.close().catch(() => {}));
  }

  private failed(what: string, err: unknown): Error {
    return new Error(`undo bucket '${this.opts.bucket}': ${what} failed: ${errorText(err)}`);
  }

  private async read(id: string): Promise<Read | undefined> {
    let entry: Awaited<ReturnType<KV["get"]>>;
    try {
      entry = await this.kv.get(id);
    } catch (err) {
      throw this.failed(`reading ${id}`, err);
    }
    // A deleted or purged key is no action.
    if (entry?.operation !== "PUT") return undefined;
    let value: unknown;
    try {
      value = entry.json();
    } catch {}
    const v = value as Partial<KvValue> | undefined;
    if (typeof v?.action_id !== "string" || typeof v.time !== "string")
      throw new NotAnAction(`undo bucket '${this.opts.bucket}': key ${id} holds no action record`);
    return { value: v as KvValue, revision: entry.revision };
  }

  /** Every kept value: the keys (headers only), then each value once. */
  private async scan(): Promise<KvValue[]> {
    const ids: string[] = [];
    try {
      for await (const id of await this.kv.keys()) ids.push(id);
    } catch (err) {
      throw this.failed("listing keys", err);
    }
    const reads = await Promise.all(
      ids.map((id) =>
        this.read(id).catch((err: unknown) => {
          // A connection failure fails the whole scan; one bad value only hides that key.
          if (!(err instanceof NotAnAction)) throw err;
          this.opts.onError?.(err.message);
          return undefined;
        }),
      ),
    );
    return reads.filter((r): r is Read => r !== undefined).map((r) => r.value);
  }

  /**
   * Compare-and-set of one key: `next` decides on the value read (undefined: nothing to
   * write). True when a value was written; a concurrent write makes it read and decide again.
   */
  private async change(id: string, next: (value: KvValue) => KvValue | undefined): Promise<boolean> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const read = await this.read(id);
      if (!read) return false;
      const value = next(read.value);
      if (value === undefined) return false;
      try {
        await this.kv.update(id, JSON.stringify(value), read.revision);
        return true;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw this.failed(`updating ${id}`, err);
      }
      // Spread the retries of replicas that collided.
      await new Promise((r) => setTimeout(r, Math.random() * 10 * (attempt + 1)));
    }
    throw new Error(`undo bucket '${this.opts.bucket}': ${id} kept changing under this replica`);
  }
}
