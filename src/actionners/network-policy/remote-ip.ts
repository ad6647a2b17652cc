/**
 * calico:networkpolicy and cilium:networkpolicy share this: deny egress from the event pod's
 * workload to the event's remote IP, creating or updating one policy custom resource per workload.
 */
import type { FalcoEvent } from "../../events/event.js";
import { fieldText, getRemoteIP } from "../../events/fields.js";
import { callOptions, dryRunParam } from "../../kube/call.js";
import { checkIp, checkNamespace, hostCidr } from "../../kube/names.js";
import { getPod, type PodRef, podRefFromEvent } from "../../kube/pods.js";
import type { ActionInput, ActionPlan, ActionResult } from "../../plugins/types.js";
import { eventFailure, failureOnThrow, podObjects, podText } from "../kubernetes/pod.js";
import { allowsText } from "./parameters.js";
import { customPolicyState, policyUndo } from "./revert.js";
import { upsertPolicy } from "./upsert.js";
import { podWorkload, policyLabels, type Workload } from "./workload.js";

/** The event's remote IP (`fd.rip`, else `fd.sip`), validated (an InvalidNameError otherwise). */
export function remoteIp(event: FalcoEvent): { ip: string; cidr: string } {
  const ip = getRemoteIP(event);
  if (ip === "") throw new Error("missing remote IP (fd.rip or fd.sip)");
  const field = ["fd.rip", "fd.sip"].find((k) => fieldText(event.output_fields[k]) === ip) ?? "fd.rip";
  checkIp(ip, field);
  return { ip, cidr: hostCidr(ip) };
}

/**
 * checks, plan and run of a policy custom resource actionner: deny egress from the pod's
 * workload to the event's remote IP, creating or updating one policy per workload. run's result
 * carries the undo record of network-policy/revert.ts.
 */
export function remoteIpPolicyActionner<
  P extends { allow_cidr: string[]; allow_namespaces: string[] },
  S,
>(crd: {
  apiVersion: string;
  kind: string;
  /** Object key and output wording, e.g. `caliconetworkpolicy`. */
  objectKey: string;
  buildSpec: (workload: Workload, parameters: P, cidr: string, current?: S) => S;
}): {
  checks(input: ActionInput<P>): Promise<void>;
  plan(input: ActionInput<P>): ActionPlan;
  run(input: ActionInput<P>): Promise<ActionResult>;
} {
  /** Everything taken from the event, validated before any request. */
  const fromEvent = (event: FalcoEvent): { ref: PodRef; cidr: string } => {
    const ref = podRefFromEvent(event);
    const { cidr } = remoteIp(event);
    return { ref, cidr };
  };
  return {
    async checks({ event, env }) {
      const { ref } = fromEvent(event);
      await getPod(await env.kube(), ref, callOptions(env));
    },
    plan({ event, parameters }) {
      const { ref, cidr } = fromEvent(event);
      return {
        objects: podObjects(ref),
        plan: `create or update the ${crd.kind} (${crd.apiVersion}) named after the workload of ${podText(ref)}: deny egress to ${cidr}, ${allowsText(parameters)}`,
        details: { apiVersion: crd.apiVersion, kind: crd.kind, deny: cidr, parameters },
      };
    },
    async run({ event, parameters, env }) {
      let fromThisEvent: ReturnType<typeof fromEvent>;
      try {
        fromThisEvent = fromEvent(event);
      } catch (err) {
        return eventFailure(err);
      }
      const { ref, cidr } = fromThisEvent;
      return failureOnThrow(podObjects(ref), async (objects) => {
        const kube = await env.kube();
        const opts = callOptions(env);
        const workload = await podWorkload(kube, await getPod(kube, ref, opts), opts);
        const { name } = workload;
        const namespace = checkNamespace(ref.namespace);
        objects[crd.objectKey] = name;
        const upserted = await upsertPolicy<S>({
          kube,
          header: { apiVersion: crd.apiVersion, kind: crd.kind, metadata: { name, namespace } },
          labels: policyLabels(workload),
          buildSpec: (current) => crd.buildSpec(workload, parameters, cidr, current),
          dryRun: dryRunParam(env),
          opts,
          what: `${crd.objectKey} ${namespace}/${name}`,
        });
        // A server dry run stored nothing: there is nothing to undo.
        const undo =
          env.dryRun === "server"
            ? undefined
            : policyUndo(
                { apiVersion: crd.apiVersion, kind: crd.kind, namespace, name },
                upserted,
                customPolicyState,
              );
        return {
          status: "success",
          output: `the ${crd.objectKey} '${name}' in the namespace '${namespace}' has been ${upserted.outcome}`,
          objects,
          ...(undo ? { undo } : {}),
        };
      });
    },
  };
}
