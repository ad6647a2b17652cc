/**
 * Reverting a network policy action (Kubernetes, Calico, Cilium): the undo record the action
 * keeps, and the revert that deletes the policy it created or puts back the spec and labels it
 * replaced, but only while the policy is still as the action left it.
 *
 * Several events of one workload share one policy (it is named after the workload): when a
 * later action updated the policy an earlier one created, reverting the earlier action finds
 * another resourceVersion and spec and leaves the policy alone (a conflict). That is on
 * purpose: the later action's deny is still wanted, and reverting the later action is what
 * undoes it.
 */

import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { abortable } from "../../abortable.js";
import { callOptions, dryRunParam, kubeCall, statusCode } from "../../kube/call.js";
import type { KubeClient } from "../../kube/client.js";
import { dnsLabelProblem, dnsSubdomainProblem } from "../../kube/names.js";
import { defineReversible } from "../../plugins/define.js";
import type { PluginEnv, RevertResult } from "../../plugins/types.js";
import { revertFailure } from "../revert-after/failure.js";
import { type CustomObject, readOrUndefined, type Upserted } from "./upsert.js";

/** A spec or label map as the API server sends it (JSON), so records compare and store as is. */
export type WireSpec = Record<string, unknown>;
export type Labels = Record<string, string>;

const wireSpec = z.record(z.string(), z.unknown());
const labels = z.record(z.string(), z.string());
const name = (what: string, problem: (v: string) => string | undefined) =>
  z.string().superRefine((v, ctx) => {
    const p = problem(v);
    if (p !== undefined) ctx.addIssue({ code: "custom", message: `wrong ${what} '${v}': ${p}` });
  });

/**
 * The record of a policy action, for one policy type: the policy, what the write stored (uid,
 * resourceVersion, spec, labels), and either `created: true` or the spec and labels it replaced.
 * The type is pinned, so a record read back can only name a policy of its own actionner.
 */
export function policyUndoRecord(apiVersion: string, kind: string) {
  const base = {
    apiVersion: z.literal(apiVersion),
    kind: z.literal(kind),
    namespace: name("namespace", dnsLabelProblem),
    name: name("policy name", dnsSubdomainProblem),
    written: z.object({ uid: z.string().min(1), resourceVersion: z.string().min(1), spec: wireSpec, labels }),
  };
  return z.discriminatedUnion("created", [
    z.object({ ...base, created: z.literal(true) }),
    z.object({ ...base, created: z.literal(false), previous: z.object({ spec: wireSpec, labels }) }),
  ]);
}

export type PolicyUndo = z.output<ReturnType<typeof policyUndoRecord>>;

/** A JSON copy: drops undefined fields, so specs compare by what the server would see. */
export function plainJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** A policy as the revert compares it, in wire form. */
export interface PolicyState {
  uid: string;
  resourceVersion: string;
  spec: WireSpec;
  labels: Labels;
}

/**
 * The undo record of an upsert, or undefined when the write did not return a stored object
 * (no uid or resourceVersion: nothing a revert could check against).
 */
export function policyUndo<O>(
  policy: { apiVersion: string; kind: string; namespace: string; name: string },
  upserted: Upserted<O, O>,
  state: (o: O) => PolicyState,
): Record<string, unknown> | undefined {
  const written = state(upserted.written);
  if (written.uid === "" || written.resourceVersion === "") return undefined;
  if (upserted.previous === undefined) return { ...policy, created: true, written };
  const { spec, labels } = state(upserted.previous);
  return { ...policy, created: false, previous: { spec, labels }, written };
}

/** The requests a revert makes on one policy. */
export interface PolicyClient<O> {
  /** The current policy; undefined when it doesn't exist. */
  read(): Promise<O | undefined>;
  state(current: O): PolicyState;
  /** Deletes the policy only if its uid and resourceVersion are still these (else 409). */
  delete(preconditions: { uid: string; resourceVersion: string }): Promise<void>;
  /** Replaces `current` with this spec and these labels, guarded by its resourceVersion (else 409). */
  restore(current: O, spec: WireSpec, labels: Labels): Promise<void>;
}

/**
 * The labels to put back: each label the action set or changed goes back to its previous value
 * (or away), unless someone has changed it since; other labels stay as they are now.
 */
export function labelsToRestore(current: Labels, written: Labels, previous: Labels): Labels {
  const out = { ...current };
  for (const key of new Set([...Object.keys(written), ...Object.keys(previous)])) {
    if (written[key] === previous[key] || current[key] !== written[key]) continue;
    const before = previous[key];
    if (before === undefined) delete out[key];
    else out[key] = before;
  }
  return out;
}

type Step =
  | { kind: "unchanged"; line: string }
  | { kind: "conflict"; line: string }
  | { kind: "delete" }
  | { kind: "restore"; spec: WireSpec; labels: Labels };

/** What to do with the policy as it is now. */
function decide(undo: PolicyUndo, current: PolicyState | undefined, text: string): Step {
  const { written } = undo;
  if (current === undefined) {
    return undo.created
      ? { kind: "unchanged", line: `${text} is already gone` }
      : { kind: "conflict", line: `${text} was deleted since the action: left alone` };
  }
  if (current.uid !== written.uid) {
    return {
      kind: "conflict",
      line: `${text} was deleted and created again since the action (uid ${written.uid} → ${current.uid}): left alone`,
    };
  }
  let restoredLabels: Labels = current.labels;
  if (!undo.created) {
    restoredLabels = labelsToRestore(current.labels, written.labels, undo.previous.labels);
    if (
      isDeepStrictEqual(current.spec, undo.previous.spec) &&
      isDeepStrictEqual(restoredLabels, current.labels)
    ) {
      return { kind: "unchanged", line: `${text} already has its previous spec` };
    }
  }
  // A write that changed nothing keeps the resourceVersion; a later write of the very same spec
  // (a metadata-only change, or the same deny again) leaves the policy as the action made it.
  const asWritten =
    current.resourceVersion === written.resourceVersion || isDeepStrictEqual(current.spec, written.spec);
  if (!asWritten) {
    return {
      kind: "conflict",
      line: `${text} was changed since the action (resourceVersion ${written.resourceVersion} → ${current.resourceVersion}): left alone`,
    };
  }
  return undo.created
    ? { kind: "delete" }
    : { kind: "restore", spec: undo.previous.spec, labels: restoredLabels };
}

/** Attempts before a policy that keeps changing under the revert is left alone. */
const ATTEMPTS = 5;

/**
 * Reverts one policy action. Every write is guarded (delete preconditions on uid and
 * resourceVersion, replace on resourceVersion): a 409 means someone wrote meanwhile, so the
 * policy is read and judged again. Never throws.
 */
export async function revertPolicy<O>(
  undo: PolicyUndo,
  client: PolicyClient<O>,
  opts: { dryRun: boolean; text: string; objects: Record<string, string> },
): Promise<RevertResult> {
  const { dryRun, text, objects } = opts;
  const result = (part: "reverted" | "unchanged" | "conflicts", line: string): RevertResult => ({
    status: part === "conflicts" ? "conflict" : "success",
    reverted: part === "reverted" ? [line] : [],
    unchanged: part === "unchanged" ? [line] : [],
    conflicts: part === "conflicts" ? [line] : [],
    objects,
  });
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = await client.read();
      const state = current === undefined ? undefined : client.state(current);
      const step = decide(undo, state, text);
      if (step.kind === "unchanged") return result("unchanged", step.line);
      if (step.kind === "conflict") return result("conflicts", step.line);
      if (current === undefined || state === undefined) throw new Error(`${text}: read nothing to revert`);
      const { uid, resourceVersion } = state;
      try {
        if (step.kind === "delete") {
          if (dryRun) return result("reverted", `would delete ${text}, created by the action`);
          await client.delete({ uid, resourceVersion });
          return result("reverted", `${text}, created by the action, has been deleted`);
        }
        if (dryRun) return result("reverted", `would set ${text} back to its previous spec`);
        await client.restore(current, step.spec, step.labels);
        return result("reverted", `${text} has been set back to its previous spec`);
      } catch (err) {
        // Gone or changed meanwhile: read it again and judge what is there now.
        const code = statusCode(err);
        if (code !== 409 && code !== 404) throw err;
      }
    }
    return result("conflicts", `${text} kept changing during the revert: left alone`);
  } catch (err) {
    return revertFailure(err, objects);
  }
}

/** `the NetworkPolicy (projectcalico.org/v3) 'web' in the namespace 'prod'`. */
export function policyText(
  undo: Pick<PolicyUndo, "apiVersion" | "kind" | "name" | "namespace">,
  withApiVersion: boolean,
): string {
  const type = withApiVersion ? `${undo.kind} (${undo.apiVersion})` : undo.kind;
  return `the ${type} '${undo.name}' in the namespace '${undo.namespace}'`;
}

/** The wire state of a policy custom resource (its spec is kept as sent by the server). */
export function customPolicyState<S>(o: CustomObject<S>): PolicyState {
  return {
    uid: o.metadata?.uid ?? "",
    resourceVersion: o.metadata?.resourceVersion ?? "",
    spec: plainJson((o.spec ?? {}) as WireSpec),
    labels: { ...o.metadata?.labels },
  };
}

/** The revert's requests on a policy custom resource, through KubernetesObjectApi. */
export function customPolicyClient(
  kube: KubeClient,
  undo: PolicyUndo,
  env: PluginEnv,
): PolicyClient<CustomObject<WireSpec>> {
  const header = {
    apiVersion: undo.apiVersion,
    kind: undo.kind,
    metadata: { name: undo.name, namespace: undo.namespace },
  };
  const what = `${undo.kind.toLowerCase()} ${undo.namespace}/${undo.name}`;
  const opts = callOptions(env);
  const dryRun = dryRunParam(env);
  return {
    read: () =>
      readOrUndefined(() =>
        kubeCall(`get ${what}`, (s) => abortable(kube.objects.read<CustomObject<WireSpec>>(header), s), opts),
      ),
    state: customPolicyState,
    async delete(preconditions) {
      await kubeCall(
        `delete ${what}`,
        (s) =>
          abortable(
            kube.objects.delete(header, undefined, dryRun, undefined, undefined, undefined, {
              preconditions,
            }),
            s,
          ),
        opts,
      );
    },
    async restore(current, spec, labels) {
      await kubeCall(
        `update ${what}`,
        (s) =>
          abortable(
            kube.objects.replace<CustomObject<WireSpec>>(
              { ...current, ...header, metadata: { ...current.metadata, ...header.metadata, labels }, spec },
              undefined,
              dryRun,
            ),
            s,
          ),
        opts,
      );
    },
  };
}

/**
 * `reversible` of a policy custom resource actionner (Calico, Cilium): its record, and a revert
 * through KubernetesObjectApi. `objectKey` names the policy in the result objects.
 */
export function customPolicyReversible(crd: { apiVersion: string; kind: string; objectKey: string }) {
  return defineReversible({
    record: policyUndoRecord(crd.apiVersion, crd.kind),
    async revert({ undo, env, dryRun }) {
      const objects = { namespace: undo.namespace, [crd.objectKey]: undo.name };
      let kube: KubeClient;
      try {
        kube = await env.kube();
      } catch (err) {
        return revertFailure(err, objects);
      }
      return revertPolicy(undo, customPolicyClient(kube, undo, env), {
        dryRun,
        text: policyText(undo, true),
        objects,
      });
    },
  });
}
