/**
 * Notifications of action and output outcomes: sent to the default notifiers and the rule's own,
 * without blocking the pipeline. Each send is traced, logged and counted; shutdown waits for the
 * sends in flight (Notifications.settled).
 */
import { type Context, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { errorText } from "../error-text.js";
import type { KubeClient } from "../kube/client.js";
import { Metrics } from "../metrics/metrics.js";
import type { PluginLookup } from "../plugins/lookup.js";
import type { Notification, PluginEnv } from "../plugins/types.js";
import type { Rule } from "../rules/types.js";
import { failSpan } from "./spans.js";

export interface NotificationsDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  kube: () => Promise<KubeClient>;
  tracer: Tracer;
  plugins: PluginLookup;
  /** Aborted on shutdown: notifiers get it as their signal. */
  shutdown: AbortSignal;
}

/** Told of each notifier's outcome for one notification (the operator console's live view). */
export type SentCallback = (notifier: string, status: "success" | "failure", error?: string) => void;

export class Notifications {
  private readonly pending = new Set<Promise<void>>();
  /** The services every notifier call gets; the same for every send. */
  private readonly env: PluginEnv;

  constructor(private readonly deps: NotificationsDeps) {
    const { config, logger, kube, shutdown } = deps;
    this.env = { config, logger, kube, signal: shutdown };
  }

  /** Fires notifications without waiting for them; failures are logged and counted. */
  send(
    rule: Pick<Rule, "name" | "notifiers">,
    notification: Notification,
    parent: Context,
    onSent?: SentCallback,
  ): void {
    const { config, logger, metrics } = this.deps;
    const names = [...new Set([...config.default_notifiers, ...rule.notifiers].map((n) => n.toLowerCase()))];
    for (const name of names) {
      const notifier = this.deps.plugins.findNotifier(name);
      if (!notifier) {
        logger.warn({ notifier: name, rule: rule.name }, "unknown notifier");
        continue;
      }
      const labels = {
        rule: notification.rule,
        action: notification.action,
        actionner: notification.actionner,
        notifier: name,
        target: notification.output_target ?? "",
        ...Metrics.scope,
      };
      const span = this.deps.tracer.startSpan(
        "notification",
        { attributes: { "notifier.name": name } },
        parent,
      );
      const send = (async () => {
        try {
          const settings = notifier.parameters.parse(config.notifiers[name] ?? {});
          await notifier.send(notification, settings, this.env);
          span.setStatus({ code: SpanStatusCode.OK });
          metrics.notifications.inc({ ...labels, status: "success" });
          onSent?.(name, "success");
          logger.info(
            { notifier: name, rule: rule.name, action: notification.action, status: "success" },
            "notification",
          );
        } catch (err) {
          failSpan(span, err);
          metrics.notifications.inc({ ...labels, status: "failure" });
          onSent?.(name, "failure", errorText(err));
          logger.error(
            {
              notifier: name,
              rule: rule.name,
              action: notification.action,
              status: "failure",
              error: errorText(err),
            },
            "notification",
          );
        } finally {
          span.end();
        }
      })();
      this.pending.add(send);
      void send.finally(() => this.pending.delete(send));
    }
  }

  /** True once every send in flight has settled, false if `timeoutMs` passes first. */
  settled(timeoutMs: number): Promise<boolean> {
    return Promise.race([
      Promise.allSettled([...this.pending]).then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref()),
    ]);
  }
}
