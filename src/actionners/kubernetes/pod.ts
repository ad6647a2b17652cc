import type { V1Pod } from "@kubernetes/client-node";
import { callOptions } from "../../kube/call.js";
import { getPod, podRefFromEvent } from "../../kube/pods.js";
import type { ActionInput } from "../../plugins/types.js";

/**
 * The event's pod, fetched once per action attempt: `checks` proves it exists and `run` reuses
 * that same GET through `input.memo` (one API call fewer per action; without a memo, each call
 * fetches). A failed fetch is not memoised as success: checks fail and run never starts.
 */
export function eventPod(input: Pick<ActionInput<unknown>, "event" | "env" | "memo">): Promise<V1Pod> {
  const fetch = () => getPod(input.env.kube(), podRefFromEvent(input.event), callOptions(input.env));
  if (!input.memo) return fetch();
  let pod = input.memo.get("pod") as Promise<V1Pod> | undefined;
  if (!pod) {
    pod = fetch();
    input.memo.set("pod", pod);
  }
  return pod;
}
