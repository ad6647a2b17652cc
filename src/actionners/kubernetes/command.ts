/** A command run in a pod's container as an action (exec, script): its RBAC and its result. */
import { type ExecResult, execFailure, outputText } from "../../kube/exec.js";
import type { ActionResult, PolicyRule } from "../../plugins/types.js";

/** RBAC for running commands in pods (WebSocket exec upgrades a GET; SPDY/POST needs `create`). */
export const POD_EXEC_RULES: PolicyRule[] = [
  { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
  { apiGroups: [""], resources: ["pods/exec"], verbs: ["get", "create"] },
];

/** An exec's outcome as an action result: stdout as output, failure with exit code and stderr. */
export function commandOutcome(result: ExecResult, objects: Record<string, string>): ActionResult {
  const error = execFailure(result);
  const output = outputText(result.stdout);
  return error ? { status: "failure", error, output, objects } : { status: "success", output, objects };
}
