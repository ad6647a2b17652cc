import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fieldTableFor } from "./index.js";
import type { FalcoEventCtx } from "./types.js";

const ctx = (payload: unknown, source = "k8s_audit"): FalcoEventCtx => ({
  source,
  timeNs: 1_700_000_000_123_456_789n,
  payload,
  num: 1n,
  hostname: "h",
});

test("json plugin cases (json-plugin-cases.json)", () => {
  const data = JSON.parse(
    readFileSync(
      new URL("../../../../shared/conformance/json-plugin-cases.json", import.meta.url).pathname,
      "utf8",
    ),
  );
  const t = fieldTableFor("anything");
  const get = (field: string, payload: unknown) => {
    const m = /^([a-z.]+)(?:\[(.*)\])?/.exec(field)!;
    return t.lookup(m[1]!)!.extract(ctx(payload, "json"), m[2] ?? "");
  };
  for (const c of data.cases) {
    assert.equal(get(c.field, data.event), c.expect ?? undefined, c.field);
  }
  assert.equal(get(data.obj_case.field, data.obj_case.event), data.obj_case.expect);
  assert.equal(get("json.rawtime", {}), "1700000000123456789");
  assert.equal(get("json.value[/x]", "not a doc"), undefined);
});

const k8s = fieldTableFor("k8s_audit");
const ka = (name: string, payload: unknown, arg?: string) => k8s.lookup(name)!.extract(ctx(payload), arg);

const podEvent = {
  auditID: "1",
  requestURI: "/api/v1/namespaces/ns/pods/p/exec?command=ls&command=-l&container=c",
  objectRef: { resource: "pods", name: "p", namespace: "ns" },
  responseStatus: { code: 201 },
  user: { username: "u", groups: ["g1", "g2"] },
  requestObject: {
    spec: {
      hostNetwork: true,
      volumes: [
        { name: "a", hostPath: { path: "/etc" } },
        { name: "b", emptyDir: {} },
      ],
      containers: [
        {
          name: "c1",
          image: "registry:5000/img:1",
          securityContext: { privileged: true },
          ports: [{ containerPort: 80 }],
        },
        {
          name: "c2",
          image: "nginx@sha256:abc",
          command: ["sh", "-c"],
          ports: [{ hostPort: 8080, containerPort: 80 }],
        },
      ],
    },
    rules: [
      { verbs: ["get"], resources: ["pods"] },
      { verbs: ["*"], resources: ["secrets"] },
    ],
    subjects: [
      { kind: "User", name: "alice" },
      { kind: "ServiceAccount", name: "sa", namespace: "kube-system" },
    ],
  },
};

test("ka.* fields render as strings and lists as in the k8saudit plugin", () => {
  assert.equal(ka("ka.response.code", podEvent), "201");
  assert.equal(ka("ka.uri.param", podEvent, "command"), "ls");
  assert.deepEqual(ka("ka.user.groups", podEvent), ["g1", "g2"]);
  assert.equal(ka("ka.req.pod.host_network", podEvent), "true");
  assert.deepEqual(ka("ka.req.pod.volumes.hostpath", podEvent), ["/etc"]);
  assert.deepEqual(ka("ka.req.pod.volumes.volume_type", podEvent), ["hostPath", "emptyDir"]);
  assert.equal(ka("ka.req.volume.hostpath", podEvent, "/et*"), "true");
  assert.deepEqual(ka("ka.req.pod.containers.image.repository", podEvent), ["registry", "nginx"]);
  assert.deepEqual(ka("ka.req.pod.containers.image", podEvent, "1"), ["nginx@sha256:abc"]);
  assert.deepEqual(ka("ka.req.pod.containers.privileged", podEvent), ["true"]);
  assert.deepEqual(ka("ka.req.pod.containers.command", podEvent), ["sh -c"]);
  assert.deepEqual(ka("ka.req.pod.containers.host_port", podEvent), ["80", "8080"]);
  assert.deepEqual(ka("ka.req.pod.containers.eff_run_as_user", podEvent), ["0", "0"]);
  assert.equal(ka("ka.req.container.privileged", podEvent), "true");
  assert.deepEqual(ka("ka.req.role.rules.verbs", podEvent), ["get", "*"]);
  assert.deepEqual(ka("ka.req.role.rules.resources", podEvent, "1"), ["secrets"]);
  assert.deepEqual(ka("ka.req.binding.subjects.user_names", podEvent), ["alice"]);
  assert.deepEqual(ka("ka.req.binding.subjects.serviceaccount_ns_names", podEvent), ["kube-system:sa"]);
  assert.equal(ka("ka.req.pod.initContainers.image", podEvent), undefined);
  assert.equal(ka("ka.target.pod.name", podEvent), undefined);
  // without auditID every ka field is missing
  assert.equal(ka("ka.target.name", { ...podEvent, auditID: undefined }), "p");
  const { auditID: _, ...noId } = podEvent;
  assert.equal(ka("ka.target.name", noId), undefined);
});

test("ka.req.service.ports is the whole ports array as one JSON value, any index ignored", () => {
  const ports = [
    { name: "http", port: 80, targetPort: 8080 },
    { name: "https", port: 443, targetPort: "https" },
  ];
  const svc = { auditID: "1", requestObject: { spec: { type: "NodePort", ports } } };
  const whole =
    '[{"name":"http","port":80,"targetPort":8080},{"name":"https","port":443,"targetPort":"https"}]';
  assert.deepEqual(ka("ka.req.service.ports", svc), [whole]);
  assert.deepEqual(ka("ka.req.service.ports", svc, "0"), [whole]);
  assert.deepEqual(ka("ka.req.service.ports", svc, "5"), [whole]);
  const empty = { auditID: "1", requestObject: { spec: { ports: [] } } };
  assert.deepEqual(ka("ka.req.service.ports", empty), ["[]"]);
  assert.equal(ka("ka.req.service.ports", { auditID: "1", requestObject: { spec: {} } }), undefined);
  assert.equal(ka("ka.req.service.ports", { requestObject: svc.requestObject }), undefined);
});
