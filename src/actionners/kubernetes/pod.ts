import type { V1Pod } from "@kubernetes/client-node";
import { errorText } from "../../error-text.js";
import { callOptions } from "../../kube/call.js";
import { getPod, type PodRef, podRefFromEvent } from "../../kube/pods.js";
import type { ActionInput, ActionResult } from "../../plugins/types.js";

/**
 * The event's pod, fetched once per action attempt: `checks` proves it exists and `run` reuses
 * that same GET through `input.memo` (one API call fewer per action; without a memo, each call
 * fetches). A failed fetch is not memoised as success: checks fail and run never starts.
 * The event's names are validated first (podRefFromEvent): an invalid one rejects with an
 * InvalidNameError and no request is sent.
 */
export function eventPod(input: Pick<ActionInput<unknown>, "event" | "env" | "memo">): Promise<V1Pod> {
  let ref: PodRef;
  try {
    ref = podRefFromEvent(input.event);
  } catch (err) {
    return Promise.reject(err);
  }
  const fetch = () => getPod(input.env.kube(), ref, callOptions(input.env));
  if (!input.memo) return fetch();
  let pod = input.memo.get("pod") as Promise<V1Pod> | undefined;
  if (!pod) {
    pod = fetch();
    input.memo.set("pod", pod);
  }
  return pod;
}

/** The failure `run` returns when the event can't be acted on (run never trusts that checks ran). */
export function eventFailure(err: unknown, objects: Record<string, string> = {}): ActionResult {
  return { status: "failure", error: errorText(err), objects };
}

/** The event's pod reference for `run`, or the failure to return instead. */
export function runPodRef(input: Pick<ActionInput<unknown>, "event">): PodRef | ActionResult {
  try {
    return podRefFromEvent(input.event);
  } catch (err) {
    return eventFailure(err);
  }
}

export function isResult(v: PodRef | ActionResult): v is ActionResult {
  return "status" in v;
}

/** `the pod 'p' in the namespace 'ns'`. */
export function podText(ref: PodRef): string {
  return `the pod '${ref.name}' in the namespace '${ref.namespace}'`;
}
