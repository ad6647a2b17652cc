/**
 * The pieces every actionner acting on the event's pod shares: the pod fetched once per attempt,
 * the `checks` that it exists, and the `run` wrapper that validates the event's names first and
 * turns whatever the action throws into a failure result.
 */
import type { V1Pod } from "@kubernetes/client-node";
import { errorText } from "../../error-text.js";
import { callOptions, kubeErrorMessage } from "../../kube/call.js";
import { getPod, getPodNode, type PodRef, podRefFromEvent } from "../../kube/pods.js";
import type { ActionInput, ActionResult } from "../../plugins/types.js";

type PodInput = Pick<ActionInput<unknown>, "event" | "env" | "memo">;

/**
 * The event's pod, fetched once per action attempt: `checks` proves it exists and `run` reuses
 * that same GET through `input.memo` (one API call fewer per action; without a memo, each call
 * fetches). A failed fetch is not memoised as success: checks fail and run never starts.
 * The event's names are validated first (podRefFromEvent): an invalid one rejects with an
 * InvalidNameError and no request is sent.
 */
export function eventPod(input: PodInput): Promise<V1Pod> {
  let ref: PodRef;
  try {
    ref = podRefFromEvent(input.event);
  } catch (err) {
    return Promise.reject(err);
  }
  const fetch = async () => getPod(await input.env.kube(), ref, callOptions(input.env));
  if (!input.memo) return fetch();
  let pod = input.memo.get("pod") as Promise<V1Pod> | undefined;
  if (!pod) {
    pod = fetch();
    input.memo.set("pod", pod);
  }
  return pod;
}

/** `checks` of an action on the event's pod: the pod exists (run reuses the GET). */
export async function checkEventPod(input: PodInput): Promise<void> {
  await eventPod(input);
}

/** The failure `run` returns when the event can't be acted on (run never trusts that checks ran). */
export function eventFailure(err: unknown, objects: Record<string, string> = {}): ActionResult {
  return { status: "failure", error: errorText(err), objects };
}

/**
 * Runs an action's body with the result objects it may add to as it goes; anything the body
 * throws becomes the failure result, with the Kubernetes message and the objects gathered so far.
 */
export async function failureOnThrow(
  objects: Record<string, string>,
  body: (objects: Record<string, string>) => Promise<ActionResult>,
): Promise<ActionResult> {
  try {
    return await body(objects);
  } catch (err) {
    return { status: "failure", error: kubeErrorMessage(err), objects };
  }
}

/** `{pod, namespace}`: the objects of a result about the pod. */
export function podObjects(ref: PodRef): Record<string, string> {
  return { pod: ref.name, namespace: ref.namespace };
}

/**
 * `run` of an action on the event's pod. The event's names are validated first: an invalid one
 * is the failure returned, and no request is sent. Then `body` runs under failureOnThrow with
 * the objects `firstObjects` gives (by default the pod and its namespace).
 */
export async function runOnPod(
  input: Pick<ActionInput<unknown>, "event">,
  body: (ref: PodRef, objects: Record<string, string>) => Promise<ActionResult>,
  firstObjects: (ref: PodRef) => Record<string, string> = podObjects,
): Promise<ActionResult> {
  let ref: PodRef;
  try {
    ref = podRefFromEvent(input.event);
  } catch (err) {
    return eventFailure(err);
  }
  return failureOnThrow(firstObjects(ref), (objects) => body(ref, objects));
}

/**
 * `run` of an action on the node the event's pod runs on: the pod (reused from checks) and its
 * node are read, then `body` runs with the node's name; results name the node once it is known.
 */
export function runOnPodNode(
  input: PodInput,
  body: (nodeName: string, objects: Record<string, string>) => Promise<ActionResult>,
): Promise<ActionResult> {
  return runOnPod(
    input,
    async (_ref, objects) => {
      const kube = await input.env.kube();
      const pod = await eventPod(input);
      const node = await getPodNode(kube, pod, callOptions(input.env));
      const nodeName = node.metadata?.name ?? "";
      if (nodeName !== "") objects.node = nodeName;
      return body(nodeName, objects);
    },
    () => ({}),
  );
}

/** `the pod 'p' in the namespace 'ns'`. */
export function podText(ref: PodRef): string {
  return `the pod '${ref.name}' in the namespace '${ref.namespace}'`;
}
