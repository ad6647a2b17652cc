/**
 * kubernetes:label and kubernetes:annotation share this: set, change or remove keys on the pod
 * or its node in ONE JSON patch; an empty value removes the key. Both are reversible: the undo
 * record holds each key the action changed, its previous value and the value written.
 */

import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { z } from "zod";
import {
  callOptions,
  dryRunParam,
  kubeCall,
  kubeErrorMessage,
  requestOptions,
  statusCode,
} from "../../kube/call.js";
import type { KubeClient } from "../../kube/client.js";
import {
  annotationKeyProblem,
  checkAnnotations,
  checkLabels,
  checkNamespace,
  checkNodeName,
  checkPodName,
  dnsLabelProblem,
  dnsSubdomainProblem,
  invalidMessage,
  labelKeyProblem,
  quoted,
} from "../../kube/names.js";
import { guardedMetadataPatch, type JsonPatchOp, mapValue } from "../../kube/patch.js";
import { getPod, getPodNode, type PodRef, podRefFromEvent } from "../../kube/pods.js";
import { defineReversible } from "../../plugins/define.js";
import type {
  ActionInput,
  Actionner,
  ActionPlan,
  ActionResult,
  PluginEnv,
  RevertResult,
} from "../../plugins/types.js";
import { revertFailure } from "../revert-after/failure.js";
import { revertAfter } from "../revert-after/index.js";
import { annotationMap, labelMap } from "./params.js";
import { eventFailure, eventPod, failureOnThrow, podObjects, podText } from "./pod.js";

type Params = { level: "node" | "pod"; revert_after?: number } & Partial<
  Record<"labels" | "annotations", Record<string, string>>
>;

/**
 * Attempts of a guarded patch: its `test` ops fail (422) when the object changed between the
 * read and the write, and the next attempt re-reads it.
 */
export const GUARDED_ATTEMPTS = 5;

/** A string checked by one of the names rules (the record may come back from the audit trail). */
function checked(what: string, rule: (v: string) => string | undefined) {
  return z.string().superRefine((v, ctx) => {
    const reason = rule(v);
    if (reason !== undefined) ctx.addIssue({ code: "custom", message: invalidMessage(what, v, reason) });
  });
}

/** A node an undo record names; the uid tells it from a node re-created under the same name. */
export const nodeTarget = z.object({
  kind: z.literal("node"),
  name: checked("node name", dnsSubdomainProblem),
  uid: z.string().min(1),
});

/** The pod or node an undo record names, with its uid. */
export const undoTarget = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("pod"),
    namespace: checked("namespace", dnsLabelProblem),
    name: checked("pod name", dnsSubdomainProblem),
    uid: z.string().min(1),
  }),
  nodeTarget,
]);
export type UndoTarget = z.output<typeof undoTarget>;

/** `the pod 'p' in the namespace 'ns'` / `the node 'n'`. */
export function targetText(t: UndoTarget): string {
  return t.kind === "pod" ? podText(t) : `the node '${t.name}'`;
}

/** The objects of a result about the target, as run's. */
export function targetObjects(t: UndoTarget): Record<string, string> {
  return t.kind === "pod" ? podObjects(t) : { node: t.name };
}

/** The target's names checked again before they name a request (revert trusts no record). */
function checkTarget(t: UndoTarget): void {
  if (t.kind === "pod") {
    checkPodName(t.name);
    checkNamespace(t.namespace);
  } else checkNodeName(t.name);
}

/** The target as it is now; undefined when it no longer exists. */
export async function readTarget(
  kube: KubeClient,
  t: UndoTarget,
  env: Pick<PluginEnv, "signal">,
): Promise<V1Pod | V1Node | undefined> {
  checkTarget(t);
  try {
    return await kubeCall<V1Pod | V1Node>(
      `get ${t.kind} ${t.kind === "pod" ? `${t.namespace}/` : ""}${t.name}`,
      (signal) =>
        t.kind === "pod"
          ? kube.core.readNamespacedPod({ name: t.name, namespace: t.namespace }, requestOptions(signal))
          : kube.core.readNode({ name: t.name }, requestOptions(signal)),
      callOptions(env),
    );
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw new Error(`can't get ${targetText(t)}: ${kubeErrorMessage(err)}`);
  }
}

/** Sends a JSON patch to the target (a server dry run when `dryRun` is `All`). */
export async function patchTarget(
  kube: KubeClient,
  t: UndoTarget,
  body: JsonPatchOp[],
  env: Pick<PluginEnv, "signal">,
  dryRun?: "All",
): Promise<void> {
  checkTarget(t);
  await kubeCall<V1Pod | V1Node>(
    `patch ${t.kind} ${t.kind === "pod" ? `${t.namespace}/` : ""}${t.name}`,
    (signal) =>
      t.kind === "pod"
        ? kube.core.patchNamespacedPod(
            { name: t.name, namespace: t.namespace, body, dryRun },
            requestOptions(signal),
          )
        : kube.core.patchNode({ name: t.name, body, dryRun }, requestOptions(signal)),
    callOptions(env),
  );
}

/** A guard's `test` failed: the object changed since it was read (retry with a fresh read). */
export function isGuardFailure(err: unknown): boolean {
  const code = statusCode(err);
  return code === 422 || code === 409;
}

/** The test that keeps a patch off an object re-created under the same name since the read. */
export function uidGuard(uid: string): JsonPatchOp {
  return { op: "test", path: "/metadata/uid", value: uid };
}

/**
 * The revert result when the target is gone (`current` undefined) or is another object of the
 * same name (another uid): nothing the action changed is left to restore.
 */
export function missingTarget(t: UndoTarget, current: V1Pod | V1Node | undefined): RevertResult {
  const line =
    current === undefined
      ? `${targetText(t)} no longer exists: nothing to restore`
      : `${targetText(t)} was deleted and re-created since: left alone`;
  return { status: "conflict", reverted: [], unchanged: [], conflicts: [line], objects: targetObjects(t) };
}

/** `'v'`, or `absent` for null. */
function valueText(v: string | null): string {
  return v === null ? "absent" : quoted(v);
}

/** The actionner for `labels` or `annotations`; index.ts passes it to defineActionner. */
export function metadataActionner(
  field: "labels" | "annotations",
): Actionner<z.ZodType<Params, Record<string, unknown>>> {
  const singular = field === "labels" ? "label" : "annotation";
  // Talon's texts, including its "annotationed" for nodes.
  const podVerb = field === "labels" ? "labeled" : "annotated";
  const nodeVerb = field === "labels" ? "labeled" : "annotationed";
  const shape = {
    [field]: (field === "labels" ? labelMap : annotationMap).refine((m) => Object.keys(m).length > 0, {
      message: `parameter '${field}' should have at least one ${singular}`,
    }),
    // A typo such as `level: container` is an error, not a silent pod-level action.
    level: z.enum(["pod", "node"]).default("pod"),
    revert_after: revertAfter,
  };
  // The computed key loses zod's inference; the output type is stated instead.
  const parameters = z.object(shape) as unknown as z.ZodType<Params, Record<string, unknown>>;

  const key = checked(`${singular} key`, field === "labels" ? labelKeyProblem : annotationKeyProblem);
  /** What the action changed: per key, the value before (null: absent) and the value written (null: removed). */
  const record = z.object({
    target: undoTarget,
    changes: z
      .record(key, z.object({ previous: z.string().nullable(), written: z.string().nullable() }))
      .refine((m) => Object.keys(m).length > 0, { message: "no change recorded" }),
  });
  type Changes = z.output<typeof record>["changes"];

  /**
   * The event's pod and the wanted map, both validated before any request. The parameters were
   * checked when the rules loaded; they are checked again because run must not rely on that.
   */
  const validated = ({ event, parameters: p }: Pick<ActionInput<Params>, "event" | "parameters">) => {
    const ref: PodRef = podRefFromEvent(event);
    const wanted = p[field] ?? {};
    if (field === "labels") checkLabels(wanted, `parameters.${field}`);
    else checkAnnotations(wanted, `parameters.${field}`);
    return { ref, wanted };
  };

  /**
   * Writes `wanted` (an empty value removes the key) in one guarded patch, re-reading the
   * object when it changed in between; returns the keys changed (none: no request).
   */
  async function write(
    kube: KubeClient,
    env: PluginEnv,
    first: V1Pod | V1Node,
    reread: () => Promise<V1Pod | V1Node>,
    target: (uid: string) => UndoTarget,
    wanted: Record<string, string>,
  ): Promise<{ target: UndoTarget; changes: Changes } | undefined> {
    const want = Object.fromEntries(Object.entries(wanted).map(([k, v]) => [k, v === "" ? null : v]));
    let obj = first;
    for (let attempt = 1; ; attempt++) {
      const uid = obj.metadata?.uid ?? "";
      const current = obj.metadata?.[field];
      const ops = guardedMetadataPatch(field, current, want);
      if (ops.length === 0) return undefined;
      const changes: Changes = Object.fromEntries(
        Object.entries(want)
          .filter(([k, v]) => mapValue(current, k) !== v)
          .map(([k, v]) => [k, { previous: mapValue(current, k), written: v }]),
      );
      const t = target(uid);
      try {
        await patchTarget(kube, t, [uidGuard(uid), ...ops], env, dryRunParam(env));
        return { target: t, changes };
      } catch (err) {
        if (!isGuardFailure(err)) throw err;
        if (attempt >= GUARDED_ATTEMPTS) {
          throw new Error(
            `can't patch the ${field} of ${targetText(t)} (${attempt} attempts, it kept changing): ${kubeErrorMessage(err)}`,
          );
        }
      }
      obj = await reread();
    }
  }

  return {
    info: {
      category: "kubernetes",
      name: singular,
      description: `Add, modify or delete the ${field} of the pod or its node`,
      source: "syscall",
      continue: true,
      useContext: false,
      allowOutput: false,
      requireOutput: false,
      requiredOutputFields: ["k8s.ns.name", "k8s.pod.name"],
      permissions: {
        kubernetes: [
          { apiGroups: [""], resources: ["pods"], verbs: ["get", "patch"] },
          { apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] },
        ],
      },
      example: `- action: ${field === "labels" ? "Label" : "Annotate"} the pod
  actionner: kubernetes:${singular}
  parameters:
    level: pod
    ${field}:
      suspicious: "true"
      previous-${singular}: ""
    revert_after: 2h
`,
    },
    parameters,
    nodeLevel: (p) => p.level === "node",
    kubernetesPermissions: (p) =>
      p.level === "node"
        ? [
            { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
            { apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] },
          ]
        : [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "patch"] }],
    async checks(input) {
      validated(input);
      await eventPod(input);
    },
    plan(input): ActionPlan {
      const { ref, wanted } = validated(input);
      const set = Object.fromEntries(Object.entries(wanted).filter(([, v]) => v !== ""));
      const remove = Object.keys(wanted).filter((k) => wanted[k] === "");
      const what = [
        ...(Object.keys(set).length > 0 ? [`set ${field} ${JSON.stringify(set)}`] : []),
        ...(remove.length > 0 ? [`remove ${field} ${JSON.stringify(remove)}`] : []),
      ].join(" and ");
      const pod = podText(ref);
      return {
        objects: podObjects(ref),
        plan: `${what} on ${input.parameters.level === "node" ? `the node of ${pod}` : pod}`,
        details: { level: input.parameters.level, set, remove },
      };
    },
    async run(input): Promise<ActionResult> {
      const { env } = input;
      let checkedInput: ReturnType<typeof validated>;
      try {
        checkedInput = validated(input);
      } catch (err) {
        return eventFailure(err);
      }
      const { ref, wanted } = checkedInput;
      // Nothing changes under a server dry run: nothing to undo.
      const undo = (done: Awaited<ReturnType<typeof write>>) =>
        done && env.dryRun !== "server" ? { undo: done } : {};
      if (input.parameters.level === "node") {
        return failureOnThrow({}, async (objects) => {
          const kube = await env.kube();
          const pod = await eventPod(input);
          const node = await getPodNode(kube, pod, callOptions(env));
          const nodeName = node.metadata?.name ?? "";
          if (nodeName !== "") objects.node = nodeName;
          const done = await write(
            kube,
            env,
            node,
            () => getPodNode(kube, pod, callOptions(env)),
            (uid) => ({ kind: "node", name: nodeName, uid }),
            wanted,
          );
          return {
            status: "success",
            output: `the node '${nodeName}' has been ${nodeVerb}`,
            objects: { node: nodeName },
            ...undo(done),
          };
        });
      }
      return failureOnThrow(podObjects(ref), async (objects) => {
        const kube = await env.kube();
        const pod = await eventPod(input);
        const done = await write(
          kube,
          env,
          pod,
          () => getPod(kube, ref, callOptions(env)),
          (uid) => ({ kind: "pod", ...ref, uid }),
          wanted,
        );
        return {
          status: "success",
          output: `the pod '${ref.name}' in the namespace '${ref.namespace}' has been ${podVerb}`,
          objects,
          ...undo(done),
        };
      });
    },
    reversible: defineReversible({
      record,
      async revert({ undo, env, dryRun }): Promise<RevertResult> {
        const t = undo.target;
        const objects = targetObjects(t);
        const about = (k: string) => `${singular} ${quoted(k)} on ${targetText(t)}`;
        try {
          const kube = await env.kube();
          for (let attempt = 1; ; attempt++) {
            const obj = await readTarget(kube, t, env);
            if (obj === undefined || obj.metadata?.uid !== t.uid) return missingTarget(t, obj);
            const current = obj.metadata?.[field];
            const restore: Record<string, string | null> = {};
            const reverted: string[] = [];
            const unchanged: string[] = [];
            const conflicts: string[] = [];
            for (const [k, { previous, written }] of Object.entries(undo.changes)) {
              const now = mapValue(current, k);
              if (now === written && now !== previous) {
                restore[k] = previous;
                reverted.push(
                  previous === null
                    ? dryRun
                      ? `would remove ${about(k)} (absent before the action)`
                      : `${about(k)} removed (absent before the action)`
                    : dryRun
                      ? `would set ${about(k)} back to ${quoted(previous)}`
                      : `${about(k)} set back to ${quoted(previous)}`,
                );
              } else if (now === previous) {
                unchanged.push(`${about(k)} is already ${valueText(previous)}`);
              } else {
                const did = written === null ? "removed it" : `set ${quoted(written)}`;
                conflicts.push(`${about(k)} is now ${valueText(now)} (the action ${did}): left alone`);
              }
            }
            const result: RevertResult = {
              status: conflicts.length > 0 ? "conflict" : "success",
              reverted,
              unchanged,
              conflicts,
              objects,
            };
            const ops = guardedMetadataPatch(field, current, restore);
            if (dryRun || ops.length === 0) return result;
            try {
              await patchTarget(kube, t, [uidGuard(t.uid), ...ops], env);
              return result;
            } catch (err) {
              if (!isGuardFailure(err) || attempt >= GUARDED_ATTEMPTS) {
                throw new Error(
                  `can't restore the ${field} of ${targetText(t)} (attempt ${attempt}): ${kubeErrorMessage(err)}`,
                );
              }
            }
          }
        } catch (err) {
          return revertFailure(err, objects);
        }
      },
    }),
  };
}
