// Synthetic Kubernetes audit log for the Falco engine figures: one JSON Event per line, shaped
// like a busy cluster's log (mostly controller and kubelet traffic, some user actions, a few of
// which alert with Falco's k8s_audit_rules.yaml). About 1.7 KB a line, like real audit logs.
//   tsx bench/falco-events.ts <count> > events.jsonl
import { readFileSync } from "node:fs";

const FIX = new URL("../test/falco/fixtures/", import.meta.url).pathname;

const ALERTING = [
  "exec-pod.json",
  "clusterrole-wildcard.json",
  "configmap-credentials.json",
  "privileged-pod.json",
  "nodeport-service.json",
].map((f) => JSON.parse(readFileSync(FIX + f, "utf8")) as Record<string, unknown>);

const pad = (n: number, w: number) => String(n).padStart(w, "0");

function stamp(i: number): string {
  const ms = 1_795_435_200_000 + i * 3;
  return `${new Date(ms).toISOString().slice(0, 19)}.${pad((ms % 1000) * 1000 + (i % 1000), 6)}Z`;
}

const managedFields = [
  {
    manager: "kube-controller-manager",
    operation: "Update",
    apiVersion: "coordination.k8s.io/v1",
    time: "2026-11-20T10:00:00Z",
    fieldsType: "FieldsV1",
    fieldsV1: { "f:spec": { "f:acquireTime": {}, "f:holderIdentity": {}, "f:leaseDurationSeconds": {} } },
  },
];

/** A lease renewal by a controller: the bulk of any audit log. */
function leaseUpdate(i: number): Record<string, unknown> {
  return {
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    level: "RequestResponse",
    auditID: `5b1e${pad(i, 8)}-0000-4000-8000-000000000000`,
    stage: "ResponseComplete",
    requestURI:
      "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager?timeout=5s",
    verb: "update",
    user: { username: "system:kube-controller-manager", groups: ["system:authenticated"] },
    sourceIPs: ["172.18.0.2"],
    userAgent: "kube-controller-manager/v1.31.0 (linux/amd64) kubernetes/9edcffc/leader-election",
    objectRef: {
      resource: "leases",
      namespace: "kube-system",
      name: "kube-controller-manager",
      uid: "0d8f4e0c-7d0a-4f1e-9a51-2c1c3f0a5b9e",
      apiGroup: "coordination.k8s.io",
      apiVersion: "v1",
      resourceVersion: String(100000 + i),
    },
    responseStatus: { metadata: {}, code: 200 },
    requestObject: {
      kind: "Lease",
      apiVersion: "coordination.k8s.io/v1",
      metadata: { name: "kube-controller-manager", namespace: "kube-system", managedFields },
      spec: {
        holderIdentity: "kind-control-plane_4b6f4b1e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
        leaseDurationSeconds: 15,
        acquireTime: "2026-11-20T10:00:00.000000Z",
        renewTime: stamp(i),
        leaseTransitions: 0,
      },
    },
    responseObject: {
      kind: "Lease",
      apiVersion: "coordination.k8s.io/v1",
      metadata: {
        name: "kube-controller-manager",
        namespace: "kube-system",
        resourceVersion: String(100001 + i),
      },
      spec: { holderIdentity: "kind-control-plane_4b6f4b1e", leaseDurationSeconds: 15, renewTime: stamp(i) },
    },
    requestReceivedTimestamp: stamp(i),
    stageTimestamp: stamp(i + 1),
    annotations: {
      "authorization.k8s.io/decision": "allow",
      "authorization.k8s.io/reason": 'RBAC: allowed by ClusterRoleBinding "system:kube-controller-manager"',
    },
  };
}

/** A kubelet or controller read: no request body, metadata-level response. */
function read(i: number): Record<string, unknown> {
  const resources = ["pods", "nodes", "configmaps", "endpointslices", "endpoints", "services"];
  const resource = resources[i % resources.length]!;
  const verb = ["get", "list", "watch"][i % 3]!;
  return {
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    level: "Metadata",
    auditID: `9a7c${pad(i, 8)}-0000-4000-8000-000000000000`,
    stage: "ResponseComplete",
    requestURI: `/api/v1/namespaces/kube-system/${resource}?resourceVersion=${i}&timeout=7m21s&watch=true`,
    verb,
    user: { username: "system:node:kind-control-plane", groups: ["system:nodes", "system:authenticated"] },
    sourceIPs: ["172.18.0.2"],
    userAgent: "kubelet/v1.31.0 (linux/amd64) kubernetes/9edcffc",
    objectRef: { resource, namespace: "kube-system", apiVersion: "v1" },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: stamp(i),
    stageTimestamp: stamp(i + 1),
    annotations: { "authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "" },
  };
}

/** One line of the synthetic log: 1 in 50 alerts, the rest is routine traffic. */
export function auditLine(i: number): string {
  let ev: Record<string, unknown>;
  if (i % 50 === 7) {
    ev = { ...ALERTING[((i / 50) % ALERTING.length) | 0]! };
    ev.auditID = `a1e7${pad(i, 8)}-0000-4000-8000-000000000000`;
    ev.stageTimestamp = stamp(i);
  } else if (i % 2 === 0) ev = leaseUpdate(i);
  else ev = read(i);
  return JSON.stringify(ev);
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!);
if (isMain) {
  const count = Number(process.argv[2] ?? 204_000);
  let chunk = "";
  for (let i = 0; i < count; i++) {
    chunk += auditLine(i) + "\n";
    if (chunk.length > 1 << 20) {
      process.stdout.write(chunk);
      chunk = "";
    }
  }
  process.stdout.write(chunk);
}
