/**
 * The revert of kubernetes:networkpolicy (network-policy/revert.ts judges and undoes; this file
 * makes its requests through the typed NetworkingV1Api).
 */

import type { V1NetworkPolicy, V1NetworkPolicySpec } from "@kubernetes/client-node";
import { callOptions, dryRunParam, kubeCall, requestOptions } from "../../../kube/call.js";
import type { KubeClient } from "../../../kube/client.js";
import { once } from "../../../once.js";
import { defineReversible } from "../../../plugins/define.js";
import type { PluginEnv } from "../../../plugins/types.js";
import {
  type PolicyClient,
  type PolicyState,
  type PolicyUndo,
  plainJson,
  policyText,
  policyUndoRecord,
  revertPolicy,
  type WireSpec,
} from "../../network-policy/revert.js";
import { readOrUndefined } from "../../network-policy/upsert.js";
import { revertFailure } from "../../revert-after/failure.js";

export const API_VERSION = "networking.k8s.io/v1";
export const KIND = "NetworkPolicy";

interface SpecCodec {
  toWire(spec: V1NetworkPolicySpec | undefined): WireSpec;
  fromWire(spec: WireSpec): V1NetworkPolicySpec;
}

/**
 * The typed client's models are not the wire JSON (an ingress rule's `from` is `_from`): records
 * keep the wire form, so a replaced policy comes back exactly, ingress rules included. Loaded on
 * first use, once the client library is (src/kube/library.ts).
 */
const specCodec = once(async (): Promise<SpecCodec> => {
  const { ObjectSerializer } = await import("@kubernetes/client-node/dist/gen/models/ObjectSerializer.js");
  return {
    toWire: (spec) =>
      plainJson((ObjectSerializer.serialize(spec ?? {}, "V1NetworkPolicySpec", "") ?? {}) as WireSpec),
    fromWire: (spec) => ObjectSerializer.deserialize(spec, "V1NetworkPolicySpec", "") as V1NetworkPolicySpec,
  };
});

/** The wire state of a NetworkPolicy read or written through the typed client. */
export async function stateOf(): Promise<(p: V1NetworkPolicy) => PolicyState> {
  const codec = await specCodec();
  return (p) => ({
    uid: p.metadata?.uid ?? "",
    resourceVersion: p.metadata?.resourceVersion ?? "",
    spec: codec.toWire(p.spec),
    labels: { ...p.metadata?.labels },
  });
}

async function networkPolicyClient(
  kube: KubeClient,
  undo: PolicyUndo,
  env: PluginEnv,
): Promise<PolicyClient<V1NetworkPolicy>> {
  const { name, namespace } = undo;
  const what = `networkpolicy ${namespace}/${name}`;
  const opts = callOptions(env);
  const dryRun = dryRunParam(env);
  const codec = await specCodec();
  return {
    read: () =>
      readOrUndefined(() =>
        kubeCall(
          `get ${what}`,
          (s) => kube.networking.readNamespacedNetworkPolicy({ name, namespace }, requestOptions(s)),
          opts,
        ),
      ),
    state: await stateOf(),
    async delete(preconditions) {
      await kubeCall(
        `delete ${what}`,
        (s) =>
          kube.networking.deleteNamespacedNetworkPolicy(
            { name, namespace, dryRun, body: { preconditions } },
            requestOptions(s),
          ),
        opts,
      );
    },
    async restore(current, spec, labels) {
      await kubeCall(
        `update ${what}`,
        (s) =>
          kube.networking.replaceNamespacedNetworkPolicy(
            {
              name,
              namespace,
              dryRun,
              body: { ...current, metadata: { ...current.metadata, labels }, spec: codec.fromWire(spec) },
            },
            requestOptions(s),
          ),
        opts,
      );
    },
  };
}

/** kubernetes:networkpolicy's `reversible`. */
export const networkPolicyReversible = defineReversible({
  record: policyUndoRecord(API_VERSION, KIND),
  async revert({ undo, env, dryRun }) {
    const objects = { namespace: undo.namespace, networkpolicy: undo.name };
    try {
      const client = await networkPolicyClient(await env.kube(), undo, env);
      return await revertPolicy(undo, client, { dryRun, text: policyText(undo, false), objects });
    } catch (err) {
      return revertFailure(err, objects);
    }
  },
});
