/**
 * The operator console in the server: its live feed (the pipeline's outcome watcher), the
 * audit trail it reads history from (the file, or the JetStream stream every replica writes),
 * and the /ui route with the rules, rehearsal, revert and artifact services it calls.
 */
import type { Logger } from "pino";
import type { NatsAuditOptions } from "../audit/jetstream.js";
import { type AuditSink, replicaId } from "../audit/log.js";
import type { Config } from "../config/schema.js";
import { consoleAssets } from "../console/assets.js";
import { ConsoleFeed } from "../console/feed.js";
import { type AuditReader, cachedReader, fileAuditReader, streamAuditReader } from "../console/history.js";
import { rehearse } from "../console/rehearse.js";
import { rulesState } from "../console/rules-state.js";
import { SessionStore } from "../console/sessions.js";
import { expandRulesPaths } from "../files/rules-paths.js";
import type { KubeClient } from "../kube/client.js";
import { expandEnv } from "../outputs/local/file/index.js";
import type { PluginLookup } from "../plugins/lookup.js";
import type { ActionsHandlers } from "../server/actions.js";
import type { IntakeSecurity } from "../server/auth.js";
import { type ConsoleRoute, createConsoleRoute } from "../server/console.js";
import type { LiveRules } from "./rules.js";

export interface ConsoleSetup {
  feed: ConsoleFeed;
  route: ConsoleRoute;
  /** The audit sink the undo side writes to: the real one, and revert entries to the feed. */
  undoAudit(audit: AuditSink | undefined): AuditSink;
}

export interface ConsoleOptions {
  config: Config;
  logger: Logger;
  rules: LiveRules;
  files: string[];
  plugins: PluginLookup;
  kube: () => Promise<KubeClient>;
  security?: IntakeSecurity;
  tls: boolean;
  actions?: ActionsHandlers;
  /** The JetStream audit stream and its reader, in distributed mode. */
  stream?: {
    options: NatsAuditOptions;
    read: (opts: NatsAuditOptions, query: { sinceMs?: number }) => AsyncGenerator<string>;
  };
}

/** The local:file destination folders of the rules in force. */
function localFileFolders(rules: LiveRules): string[] {
  const folders = new Set<string>();
  for (const rule of rules.current().rules)
    for (const action of rule.actions)
      if (action.output?.target === "local:file" && typeof action.output.parameters.destination === "string")
        folders.add(expandEnv(action.output.parameters.destination));
  return [...folders];
}

export function openConsole(opts: ConsoleOptions): ConsoleSetup | undefined {
  const { config, logger, rules } = opts;
  if (!config.console.enabled) return undefined;
  const feed = new ConsoleFeed({ capacity: config.console.buffer, replica: replicaId() });
  let history: AuditReader | undefined;
  if (opts.stream) history = cachedReader(streamAuditReader(opts.stream.options, opts.stream.read));
  else if (config.audit.file) history = cachedReader(fileAuditReader(config.audit.file));
  const route = createConsoleRoute({
    feed,
    history,
    rules: () => rulesState(rules.current(), expandRulesPaths(opts.files), rules.lastReload()),
    ruleList: () => rules.current().rules,
    artifactFolders: () => localFileFolders(rules),
    rehearse: (body) =>
      rehearse(body, {
        rules: rules.current,
        plugins: opts.plugins,
        env: { config, logger, kube: opts.kube },
        timeoutMs: config.queue.action_timeout_seconds * 1000,
      }),
    actions: opts.actions,
    assets: consoleAssets(),
    security: opts.security,
    sessions: new SessionStore(),
    tls: opts.tls,
    maxBodyBytes: config.max_body_bytes,
    logger,
  });
  return {
    feed,
    route,
    undoAudit: (audit) => ({
      record(r) {
        audit?.record(r);
        feed.reverted(r);
      },
      // The server closes the real sink.
      close() {},
    }),
  };
}
