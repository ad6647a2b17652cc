/** Helpers for the evidence-collecting actionner tests (exec, script, log, download, tcpdump, sysdig). */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  AdmissionregistrationV1Api,
  type V1ContainerState,
  type V1ContainerStatus,
  type V1EphemeralContainer,
} from "@kubernetes/client-node";
import type { z } from "zod";
import type { FalcoEvent } from "../../src/events/event.js";
import type { KubeClient } from "../../src/kube/client.js";
import type { Actionner, ActionResult, PluginEnv } from "../../src/plugins/types.js";
import { buildVars } from "../../src/templating/substitute.js";
import { KUBECONFIG_ENV, makeEvent, type TestCluster, waitFor } from "../support/k8s.js";

/** Like runActionner, but with the event's real substitution variables (as the pipeline builds them). */
export async function runWithVars<S extends z.ZodType>(
  actionner: Actionner<S>,
  env: PluginEnv,
  event: FalcoEvent,
  rawParameters: unknown = {},
): Promise<ActionResult> {
  const parameters = actionner.parameters.parse(rawParameters) as z.output<S>;
  const input = { event, parameters, vars: buildVars(event), rule: "Test rule", action: "test", env };
  await actionner.checks(input);
  return actionner.run(input);
}

export const podEvent = (pod: string, ns: string, extra: Record<string, unknown> = {}) =>
  makeEvent({ "k8s.pod.name": pod, "k8s.ns.name": ns, ...extra });

/**
 * kwok runs pods/exec as local processes in RUN/rootfs (scripts/k8s/up.sh); RUN is the folder
 * of the test kubeconfig.
 */
export function clusterRootfs(): string {
  const kubeconfig = process.env[KUBECONFIG_ENV] ?? "";
  if (kubeconfig === "") throw new Error(`${KUBECONFIG_ENV} is unset`);
  return join(dirname(kubeconfig), "rootfs");
}

/** A pod with two containers, `first` and `second`, on the given node. */
export async function createTwoContainerPod(kube: KubeClient, namespace: string, name: string, node: string) {
  return kube.core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels: { app: name } },
      spec: {
        nodeName: node,
        containers: [
          { name: "first", image: "registry.local/fake:1" },
          { name: "second", image: "registry.local/fake:1" },
        ],
      },
    },
  });
}

/**
 * Plays the kubelet for ephemeral containers (kwok has no support for them): waits for a new
 * ephemeral container whose name starts with `prefix`, then writes its status through the
 * pods/status subresource. Returns the container as the actionner created it.
 */
export async function driveEphemeralContainer(
  kube: KubeClient,
  namespace: string,
  pod: string,
  prefix: string,
  state: V1ContainerState,
  timeoutMs = 20_000,
): Promise<V1EphemeralContainer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await kube.core.readNamespacedPod({ name: pod, namespace });
    const known = new Set((p.status?.ephemeralContainerStatuses ?? []).map((s) => s.name));
    const added = (p.spec?.ephemeralContainers ?? []).find(
      (c) => c.name.startsWith(prefix) && !known.has(c.name),
    );
    if (added) {
      const status: V1ContainerStatus = {
        name: added.name,
        image: added.image ?? "",
        imageID: "",
        ready: false,
        restartCount: 0,
        state,
      };
      p.status = {
        ...p.status,
        ephemeralContainerStatuses: [...(p.status?.ephemeralContainerStatuses ?? []), status],
      };
      try {
        await kube.core.replaceNamespacedPodStatus({ name: pod, namespace, body: p });
        return added;
      } catch (err) {
        if ((err as { code?: number }).code !== 409) throw err;
      }
    }
    if (Date.now() > deadline)
      throw new Error(`no ephemeral container '${prefix}*' appeared in ${namespace}/${pod}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A folder under kwok's exec root holding stand-in commands (`bin/`) and a shell (`sh`) that
 * puts them first on PATH: passed as the actionner's `shell`, it makes kwok's local exec run the
 * stand-ins instead of the image's tools, with the production command line unchanged.
 */
export function makeStandIns(tools: Record<string, string>): { dir: string; shell: string } {
  const dir = mkdtempSync(join(clusterRootfs(), "standins-"));
  mkdirSync(join(dir, "bin"));
  for (const [name, body] of Object.entries(tools)) {
    writeFileSync(join(dir, "bin", name), `#!/bin/sh\n${body}`, { mode: 0o755 });
  }
  const shell = join(dir, "sh");
  writeFileSync(shell, `#!/bin/sh\nPATH='${join(dir, "bin")}':"$PATH" exec /bin/sh "$@"\n`, { mode: 0o755 });
  return { dir, shell };
}

/**
 * kwok's fast `pod-complete` stage marks a Job's pod Succeeded as soon as it runs, where a real
 * kubelet would keep its `sleep` running. A ValidatingAdmissionPolicy, scoped to the dedicated
 * namespace, refuses that status change, so the pod stays Running as on a real node.
 */
export async function keepJobPodsRunning(c: TestCluster, namespace: string): Promise<void> {
  const admission = c.kube.config.makeApiClient(AdmissionregistrationV1Api);
  const name = `keep-running-${namespace}`;
  await admission.createValidatingAdmissionPolicy({
    body: {
      metadata: { name },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
          resourceRules: [
            { apiGroups: [""], apiVersions: ["v1"], operations: ["UPDATE"], resources: ["pods/status"] },
          ],
        },
        validations: [
          {
            expression: "!has(object.status.phase) || object.status.phase != 'Succeeded'",
            message: "test: the job pod keeps running",
          },
        ],
      },
    },
  });
  await admission.createValidatingAdmissionPolicyBinding({
    body: { metadata: { name }, spec: { policyName: name, validationActions: ["Deny"] } },
  });
  // The policy takes effect once the API server has loaded it: probe with a pod of our own.
  await c.kube.core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: "probe" },
      spec: { containers: [{ name: "c", image: "registry.local/fake:1" }] },
    },
  });
  await waitFor("the keep-running policy to be enforced", async () => {
    const pod = await c.kube.core.readNamespacedPod({ name: "probe", namespace });
    try {
      await c.kube.core.replaceNamespacedPodStatus({
        name: "probe",
        namespace,
        body: { ...pod, status: { ...pod.status, phase: "Succeeded" } },
      });
      return false;
    } catch (err) {
      return /keeps running/.test(String((err as { body?: unknown }).body ?? err));
    }
  });
  await c.kube.core.deleteNamespacedPod({ name: "probe", namespace, gracePeriodSeconds: 0 });
}

export async function removeKeepRunningPolicy(c: TestCluster, namespace: string): Promise<void> {
  const admission = c.kube.config.makeApiClient(AdmissionregistrationV1Api);
  const name = `keep-running-${namespace}`;
  await admission.deleteValidatingAdmissionPolicyBinding({ name }).catch(() => undefined);
  await admission.deleteValidatingAdmissionPolicy({ name }).catch(() => undefined);
}
