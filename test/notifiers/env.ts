/** A PluginEnv for notifier and output tests (no cluster, silent logs). */
import pino from "pino";
import { type ConfigInput, configSchema } from "../../src/config/schema.js";
import type { Notification, PluginEnv } from "../../src/plugins/types.js";

export function testEnv(config: ConfigInput = {}, signal = new AbortController().signal): PluginEnv {
  return {
    config: configSchema.parse(config),
    logger: pino({ level: "silent" }),
    kube: async () => {
      throw new Error("no cluster in this test");
    },
    signal,
  };
}

/** A typical action notification (object keys title-cased, as the pipeline sends them). */
export function sampleNotification(overrides: Partial<Notification> = {}): Notification {
  return {
    time: "2024-09-03T16:03:51.123Z",
    message: "action",
    status: "success",
    rule: "Terminal shell in container",
    event: "A shell was spawned in a container (user=root pod=nginx ns=default)",
    priority: "Warning",
    source: "syscall",
    action: "Terminate the pod",
    actionner: "kubernetes:terminate",
    output: "the pod 'nginx' in the namespace 'default' has been terminated",
    trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
    objects: { Namespace: "default", Pod: "nginx" },
    ...overrides,
  };
}

/** A `kubernetes:label` success notification, timed now (the k8sevents notifier's tests). */
export function labelNotification(over: Partial<Notification> = {}): Notification {
  return {
    time: new Date().toISOString(),
    message: "action",
    status: "success",
    rule: "Terminal shell in container",
    event: "A shell was spawned in a container",
    priority: "Warning",
    source: "syscall",
    action: "Label the pod",
    actionner: "kubernetes:label",
    trace_id: "trace-123",
    objects: {},
    ...over,
  };
}
