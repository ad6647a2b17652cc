/**
 * k8sevents — records each notification as a core/v1 Event on the pod it concerns,
 * `Warning` for failures (Talon always used `Normal`).
 */
import type { CoreV1Event } from "@kubernetes/client-node";
import { z } from "zod";
import { callOptions, isNotFound, kubeCall, requestOptions } from "../../kube/call.js";
import type { KubeClient } from "../../kube/client.js";
import { kubeLibrary } from "../../kube/library.js";
import { defineNotifier } from "../../plugins/define.js";
import type { Notification, PluginEnv } from "../../plugins/types.js";
import { notificationText } from "../payload.js";

const parameters = z.object({});

/** The API server limits an Event's message (events.k8s.io `note`) to 1 KiB. */
export const MAX_MESSAGE_BYTES = 1024;
/** `reason` and `action` are limited to 128 characters. */
const MAX_SHORT = 128;

/** The longest prefix of `s` that fits in `max` UTF-8 bytes, never splitting a character. */
export function truncateUtf8(s: string, max: number): string {
  if (Buffer.byteLength(s, "utf8") <= max) return s;
  let bytes = 0;
  let out = "";
  for (const ch of s) {
    const n = Buffer.byteLength(ch, "utf8");
    if (bytes + n > max) break;
    bytes += n;
    out += ch;
  }
  return out;
}

/** Talon's plain text for k8sevents (`TraceID`, output on its line), `'` → `"`, within 1 KiB. */
export function eventMessage(n: Notification): string {
  const text = notificationText(n, { traceLabel: "TraceID", outputBelow: false });
  return truncateUtf8(text.replaceAll("'", '"'), MAX_MESSAGE_BYTES);
}

async function exists<T>(
  what: string,
  fn: (signal: AbortSignal) => Promise<T>,
  env: PluginEnv,
): Promise<T | undefined> {
  try {
    return await kubeCall(what, fn, callOptions(env));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The Event for a notification; `Namespace`/`Pod`/`Node` are the title-cased object keys. */
export async function buildEvent(n: Notification, kube: KubeClient, env: PluginEnv): Promise<CoreV1Event> {
  const wantedNs = n.objects?.Namespace ?? "";
  const podName = n.objects?.Pod ?? "";
  const nodeName = n.objects?.Node ?? "";
  let namespace = "default";
  if (wantedNs !== "") {
    const ns = await exists(
      `get namespace ${wantedNs}`,
      (s) => kube.core.readNamespace({ name: wantedNs }, requestOptions(s)),
      env,
    );
    if (ns) namespace = wantedNs;
  }
  let involvedObject: CoreV1Event["involvedObject"];
  if (podName !== "" || nodeName === "") {
    // The API server requires the involved object's namespace to be the Event's.
    involvedObject = { kind: "Pod", apiVersion: "v1", name: podName, namespace };
    if (podName !== "" && namespace === wantedNs) {
      const pod = await exists(
        `get pod ${namespace}/${podName}`,
        (s) => kube.core.readNamespacedPod({ name: podName, namespace }, requestOptions(s)),
        env,
      );
      if (pod?.metadata?.uid) involvedObject.uid = pod.metadata.uid;
    }
  } else {
    namespace = "default";
    involvedObject = { kind: "Node", apiVersion: "v1", name: nodeName };
    const node = await exists(
      `get node ${nodeName}`,
      (s) => kube.core.readNode({ name: nodeName }, requestOptions(s)),
      env,
    );
    if (node?.metadata?.uid) involvedObject.uid = node.metadata.uid;
  }
  const actor = n.actionner || n.output_target || "";
  // Loaded with `kube`; the Event's time has the microseconds the API server expects.
  const { V1MicroTime } = await kubeLibrary();
  return {
    metadata: { generateName: "falco-talon-", namespace },
    involvedObject,
    reason: `falco-talon:${n.message}:${actor}:${n.status}`.slice(0, MAX_SHORT),
    message: eventMessage(n),
    type: n.status === "failure" ? "Warning" : "Normal",
    source: { component: "falco-talon" },
    reportingComponent: "falcosecurity.org/falco-talon",
    reportingInstance: "falco-talon",
    action: (actor || "notify").slice(0, MAX_SHORT),
    eventTime: new V1MicroTime(),
    count: 1,
  };
}

export default defineNotifier({
  info: {
    name: "k8sevents",
    description: "Create a Kubernetes Event on the pod (Warning when the action failed)",
    permissions: {
      kubernetes: [
        { apiGroups: [""], resources: ["events"], verbs: ["create"] },
        { apiGroups: [""], resources: ["namespaces", "pods", "nodes"], verbs: ["get"] },
      ],
    },
    example: `default_notifiers:
  - k8sevents
`,
  },
  parameters,
  async send(notification, _settings, env) {
    const kube = await env.kube();
    const body = await buildEvent(notification, kube, env);
    const namespace = body.metadata.namespace as string;
    await kubeCall(
      `create event in ${namespace}`,
      (s) => kube.core.createNamespacedEvent({ namespace, body }, requestOptions(s)),
      callOptions(env),
    );
  },
});
