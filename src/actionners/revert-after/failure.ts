/** The failure result every reversible actionner's revert returns instead of throwing. */
import { kubeErrorMessage } from "../../kube/call.js";
import type { RevertResult } from "../../plugins/types.js";

export function revertFailure(err: unknown, objects: Record<string, string>): RevertResult {
  return {
    status: "failure",
    reverted: [],
    unchanged: [],
    conflicts: [],
    error: kubeErrorMessage(err),
    objects,
  };
}
