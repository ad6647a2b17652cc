/**
 * Undoes a quarantine from its record, part by part: the pod's labels and annotations, the
 * policy, the node. A part someone changed since is left alone and reported as a conflict; a
 * part already as before (a second revert) is unchanged. Never throws. The record's names are
 * checked again before they name a request: a revert trusts no record.
 */
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import {
  callOptions,
  dryRunParam,
  isNotFound,
  type KubeCallOptions,
  kubeCall,
  kubeErrorMessage,
  requestOptions,
  statusCode,
} from "../../../kube/call.js";
import type { KubeClient } from "../../../kube/client.js";
import { checkNamespace, checkNetworkPolicyName, checkNodeName, checkPodName } from "../../../kube/names.js";
import type { JsonPatchOp } from "../../../kube/patch.js";
import type { PluginEnv, RevertInput, RevertResult } from "../../../plugins/types.js";
import { type RevertLines, restoreOps } from "./pod-patch.js";
import type { QuarantineRecord } from "./record.js";

/** Attempts of a guarded patch whose target changed between the read and the write. */
export const PATCH_ATTEMPTS = 5;

/** A guarded JSON patch failed its `test` ops (422) or lost a race (409): read again and retry. */
export function isStale(err: unknown): boolean {
  const code = statusCode(err);
  return code === 409 || code === 422;
}

/** The result of a read; undefined on 404. */
async function readOrGone<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

interface Part {
  kube: KubeClient;
  env: PluginEnv;
  opts: KubeCallOptions;
  rec: QuarantineRecord;
  dryRun: boolean;
  out: RevertLines;
}

function add(out: RevertLines, lines: RevertLines): void {
  out.reverted.push(...lines.reverted);
  out.unchanged.push(...lines.unchanged);
  out.conflicts.push(...lines.conflicts);
}

async function revertPod({ kube, env, opts, rec, dryRun, out }: Part): Promise<void> {
  const { namespace, name, uid } = rec.pod;
  checkNamespace(namespace);
  checkPodName(name);
  const where = `the pod '${name}' in the namespace '${namespace}'`;
  for (let attempt = 1; ; attempt++) {
    const pod: V1Pod | undefined = await readOrGone(() =>
      kubeCall(
        `get pod ${namespace}/${name}`,
        (s) => kube.core.readNamespacedPod({ name, namespace }, requestOptions(s)),
        opts,
      ),
    );
    if (pod === undefined) {
      out.unchanged.push(`${where} no longer exists: nothing to restore on it`);
      return;
    }
    if (pod.metadata?.uid !== uid) {
      out.unchanged.push(`${where} is another pod now (another uid): nothing to restore on it`);
      return;
    }
    const { ops, ...lines } = restoreOps(pod, rec, dryRun);
    if (ops.length === 0 || dryRun) return add(out, lines);
    try {
      await kubeCall(
        `patch pod ${namespace}/${name}`,
        (s) =>
          kube.core.patchNamespacedPod(
            { name, namespace, body: ops, dryRun: dryRunParam(env) },
            requestOptions(s),
          ),
        opts,
      );
      return add(out, lines);
    } catch (err) {
      if (!isStale(err) || attempt >= PATCH_ATTEMPTS) throw err;
    }
  }
}

async function revertPolicy({ kube, env, opts, rec, dryRun, out }: Part): Promise<void> {
  if (!rec.policy) return;
  const { name, uid, resourceVersion } = rec.policy;
  const namespace = checkNamespace(rec.pod.namespace);
  checkNetworkPolicyName(name);
  const what = `the NetworkPolicy '${name}' in the namespace '${namespace}'`;
  const current = await readOrGone(() =>
    kubeCall(
      `get networkpolicy ${namespace}/${name}`,
      (s) => kube.networking.readNamespacedNetworkPolicy({ name, namespace }, requestOptions(s)),
      opts,
    ),
  );
  if (current === undefined) {
    out.unchanged.push(`${what} is already gone`);
    return;
  }
  if (current.metadata?.uid !== uid) {
    out.conflicts.push(`${what} is another object now (another uid): left alone`);
    return;
  }
  const changed = `${what} was changed since the quarantine: left alone`;
  if (current.metadata?.resourceVersion !== resourceVersion) {
    out.conflicts.push(changed);
    return;
  }
  if (dryRun) {
    out.reverted.push(`would delete ${what}`);
    return;
  }
  const dryRunAll = dryRunParam(env);
  try {
    await kubeCall(
      `delete networkpolicy ${namespace}/${name}`,
      (s) =>
        kube.networking.deleteNamespacedNetworkPolicy(
          {
            name,
            namespace,
            // With a body, the API server reads the delete options from it alone: the query's
            // dryRun would be ignored.
            body: { preconditions: { uid, resourceVersion }, ...(dryRunAll ? { dryRun: [dryRunAll] } : {}) },
          },
          requestOptions(s),
        ),
      opts,
    );
    out.reverted.push(`${what} deleted`);
  } catch (err) {
    // The preconditions: changed (409) or deleted (404) between the read and the delete.
    if (statusCode(err) === 409) out.conflicts.push(changed);
    else if (isNotFound(err)) out.unchanged.push(`${what} is already gone`);
    else throw err;
  }
}

async function revertNode({ kube, env, opts, rec, dryRun, out }: Part): Promise<void> {
  if (!rec.node) return;
  const { name, uid, cordoned } = rec.node;
  const what = `the node '${name}'`;
  if (!cordoned) {
    out.unchanged.push(`${what} was already cordoned before the quarantine: left as it was`);
    return;
  }
  checkNodeName(name);
  for (let attempt = 1; ; attempt++) {
    const node: V1Node | undefined = await readOrGone(() =>
      kubeCall(`get node ${name}`, (s) => kube.core.readNode({ name }, requestOptions(s)), opts),
    );
    if (node === undefined || node.metadata?.uid !== uid) {
      out.unchanged.push(`${what} no longer exists${node ? " (another node has its name now)" : ""}`);
      return;
    }
    if (node.spec?.unschedulable !== true) {
      out.unchanged.push(`${what} is already schedulable`);
      return;
    }
    if (dryRun) {
      out.reverted.push(`would uncordon ${what}`);
      return;
    }
    // The quarantine only cordons a schedulable node: uncordoning removes the field it added.
    const body: JsonPatchOp[] = [
      { op: "test", path: "/metadata/uid", value: uid },
      { op: "test", path: "/spec/unschedulable", value: true },
      { op: "remove", path: "/spec/unschedulable" },
    ];
    try {
      await kubeCall(
        `patch node ${name}`,
        (s) => kube.core.patchNode({ name, body, dryRun: dryRunParam(env) }, requestOptions(s)),
        opts,
      );
      out.reverted.push(`${what} uncordoned`);
      return;
    } catch (err) {
      if (!isStale(err) || attempt >= PATCH_ATTEMPTS) throw err;
    }
  }
}

/** The objects a quarantine's results name. */
export function recordObjects(rec: QuarantineRecord): Record<string, string> {
  return {
    pod: rec.pod.name,
    namespace: rec.pod.namespace,
    ...(rec.policy ? { networkpolicy: rec.policy.name } : {}),
    ...(rec.node ? { node: rec.node.name } : {}),
  };
}

/** `reversible.revert` of kubernetes:quarantine (also the run's roll-back of a half-done quarantine). */
export async function revertQuarantine({
  undo: rec,
  env,
  dryRun,
}: RevertInput<QuarantineRecord>): Promise<RevertResult> {
  const out: RevertLines = { reverted: [], unchanged: [], conflicts: [] };
  const errors: string[] = [];
  const objects = recordObjects(rec);
  let kube: KubeClient;
  try {
    kube = await env.kube();
  } catch (err) {
    return { status: "failure", ...out, error: kubeErrorMessage(err), objects };
  }
  const part: Part = { kube, env, opts: callOptions(env), rec, dryRun, out };
  // Each part on its own: a failed request leaves the others to be undone.
  for (const revert of [revertPod, revertPolicy, revertNode]) {
    try {
      await revert(part);
    } catch (err) {
      errors.push(kubeErrorMessage(err));
    }
  }
  const status = errors.length > 0 ? "failure" : out.conflicts.length > 0 ? "conflict" : "success";
  return { status, ...out, ...(errors.length > 0 ? { error: errors.join("; ") } : {}), objects };
}
