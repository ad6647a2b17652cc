import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import type { FalcoEvent } from "../events/event.js";
import type { KubeClient } from "./client.js";
import { InvalidNameError } from "./names.js";
import { getPod, getPodNode, podRefFromEvent, resolveOwner } from "./pods.js";

/** A client whose every use fails the test: nothing may be requested. */
const noRequests = new Proxy({} as KubeClient, {
  get(_t, prop) {
    throw new Error(`unexpected use of kube.${String(prop)}`);
  },
});

function event(fields: Record<string, unknown>): FalcoEvent {
  return {
    id: "1",
    output: "",
    priority: "Warning",
    rule: "r",
    hostname: "h",
    time: "",
    source: "syscall",
    output_fields: fields,
    tags: [],
    context: {},
    trace_id: "t",
  };
}

describe("podRefFromEvent", () => {
  test("keeps Talon's messages for missing values", () => {
    assert.throws(() => podRefFromEvent(event({ "k8s.ns.name": "a" })), /^Error: missing pod name$/);
    assert.throws(() => podRefFromEvent(event({ "k8s.pod.name": "a" })), /^Error: missing namespace$/);
  });

  test("names the field the bad value came from", () => {
    assert.throws(
      () => podRefFromEvent(event({ "k8s.pod.name": "..", "k8s.ns.name": "default" })),
      (err: unknown) =>
        err instanceof InvalidNameError &&
        err.message === "invalid pod name '..' in k8s.pod.name: may not be '.' or '..'",
    );
    assert.throws(
      () => podRefFromEvent(event({ "ka.target.name": "a/../b", "ka.target.namespace": "default" })),
      /^InvalidNameError: invalid pod name 'a\/..\/b' in ka.target.name: may not contain '\/'$/,
    );
    assert.throws(
      () => podRefFromEvent(event({ "k8s.pod.name": "web-1", "ka.target.namespace": "Victim" })),
      /^InvalidNameError: invalid namespace 'Victim' in ka.target.namespace: /,
    );
    assert.deepEqual(podRefFromEvent(event({ "k8s.pod.name": "web-1", "k8s.ns.name": "prod" })), {
      name: "web-1",
      namespace: "prod",
    });
  });

  test("getPod refuses a hand-built reference without a request", async () => {
    await assert.rejects(getPod(noRequests, { name: "..", namespace: "default" }), InvalidNameError);
  });
});

describe("names read from API objects", () => {
  const pod = (over: Partial<V1Pod>): V1Pod => ({
    metadata: { name: "web-1", namespace: "prod", ...over.metadata },
    spec: { containers: [], ...over.spec },
  });

  test("the node name is checked before the node GET", async () => {
    await assert.rejects(
      getPodNode(noRequests, pod({ spec: { containers: [], nodeName: "../x" } })),
      /^InvalidNameError: invalid node name '..\/x' in spec.nodeName of the pod 'prod\/web-1': may not contain '\/'$/,
    );
  });

  test("owner names are checked before the owner GET", async () => {
    for (const kind of ["ReplicaSet", "DaemonSet", "StatefulSet"]) {
      await assert.rejects(
        resolveOwner(
          noRequests,
          pod({
            metadata: {
              ownerReferences: [{ apiVersion: "apps/v1", kind, name: "..", uid: "u", controller: true }],
            },
          }),
        ),
        new RegExp(
          `invalid ${kind.toLowerCase()} name '\\.\\.' in the owner references of the pod 'prod/web-1'`,
        ),
      );
    }
    assert.deepEqual(await resolveOwner(noRequests, pod({})), {
      kind: "StandalonePod",
      name: "web-1",
      rawKind: "Pod",
    });
  });
});
