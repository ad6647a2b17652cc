/**
 * Reversible actions in the server: where they are kept (JetStream KV with NATS, else the audit
 * file, else memory), the reverter behind `POST /actions/<id>/revert`, and the expiry of
 * `revert_after`.
 */
import type { Logger } from "pino";
import type { AuditSink } from "../audit/log.js";
import { replicaId } from "../audit/log.js";
import type { Config } from "../config/schema.js";
import { errorText } from "../error-text.js";
import type { KubeClient } from "../kube/client.js";
import type { Metrics } from "../metrics/metrics.js";
import type { PluginLookup } from "../plugins/lookup.js";
import type { Notification } from "../plugins/types.js";
import type { ReversibleAction } from "../undo/action.js";
import { Expiry } from "../undo/expiry.js";
import { FileUndoStore } from "../undo/file-store.js";
import { Reverter } from "../undo/reverter.js";
import { MemoryUndoStore, type UndoStore } from "../undo/store.js";

export interface UndoDeps {
  config: Config;
  logger: Logger;
  plugins: PluginLookup;
  kube: () => Promise<KubeClient>;
  audit?: AuditSink;
  notify?: (rule: string, notification: Notification) => void;
  metrics?: Pick<Metrics, "reverts">;
  /** How often due expiries are looked for (tests shorten it). */
  expiryPollMs?: number;
}

export interface Undo {
  store: UndoStore;
  reverter: Reverter;
  /**
   * The pipeline's hook: keeps a reversible action and wakes the expiry. Settles (never rejects)
   * once the store has the action or failed to keep it, so a caller can hold the event's ack until
   * then: a replica killed before the write ends would lose the action's undo and expiry.
   */
  kept(action: ReversibleAction): Promise<void>;
  /** Starts the expiry of `revert_after` (due actions kept from before a restart first). */
  start(): void;
  close(): Promise<void>;
}

/** The store for a configuration: shared by the replicas with NATS, else the audit file, else memory. */
export async function openUndoStore(config: Config, logger: Logger): Promise<UndoStore> {
  if (config.queue.nats.url) {
    const { KvUndoStore, kvUndoOptionsFromConfig } = await import("../undo/kv-store.js");
    return KvUndoStore.open(kvUndoOptionsFromConfig(config));
  }
  if (config.audit.file) {
    const store = await FileUndoStore.open(config.audit.file);
    if (store.malformed > 0)
      logger.warn(
        { file: config.audit.file, malformed: store.malformed },
        "audit file: malformed lines skipped",
      );
    return store;
  }
  return new MemoryUndoStore();
}

export async function openUndo(deps: UndoDeps): Promise<Undo> {
  const { config, logger } = deps;
  const replica = replicaId();
  const store = await openUndoStore(config, logger);
  if (!config.queue.nats.url && !config.audit.file)
    logger.debug("reversible actions are kept in memory: set audit.file so revert_after survives a restart");
  const shutdown = new AbortController();
  // A claim outlasts the longest revert, so no other replica starts the same one meanwhile.
  const leaseMs = config.queue.action_timeout_seconds * 1000 + 30_000;
  const reverter = new Reverter({ ...deps, store, replica, shutdown: shutdown.signal, leaseMs });
  const expiry = new Expiry({ store, reverter, logger, replica, pollMs: deps.expiryPollMs, leaseMs });
  return {
    store,
    reverter,
    kept(action) {
      return store.put(action).then(
        () => expiry.wake(),
        (err) =>
          logger.error(
            { action_id: action.action_id, error: errorText(err) },
            "reversible action not kept: falco-talon cannot revert it (its audit entry has what it changed)",
          ),
      );
    },
    start: () => expiry.start(),
    async close() {
      await expiry.stop();
      shutdown.abort(new Error("shutting down"));
      await store.close();
    },
  };
}
