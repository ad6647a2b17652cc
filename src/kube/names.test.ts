import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { errorText } from "../error-text.js";
import {
  annotationKeyProblem,
  checkAnnotations,
  checkCidr,
  checkIp,
  checkLabelKey,
  checkLabels,
  checkLabelValue,
  checkNamespace,
  checkNodeName,
  checkPodName,
  checkResource,
  checkResourceName,
  cidrProblem,
  dnsLabelProblem,
  dnsSubdomainProblem,
  hostCidr,
  InvalidNameError,
  ipProblem,
  labelKeyProblem,
  labelValueProblem,
  pathSegmentProblem,
  quoted,
} from "./names.js";

const long300 = "a".repeat(300);

/** Values no object name may take, whatever its rule. */
const hostile = [
  "..",
  ".",
  "a/../b",
  "../x",
  "x/..",
  "%2e%2e",
  "a%2fb",
  "",
  long300,
  "a\u0000b",
  "\u0000",
  "a\nb",
  "a b",
  " a",
];

describe("object names", () => {
  test("DNS-1123 labels (namespaces)", () => {
    for (const ok of ["default", "a", "kube-system", "a1", "1a", "x".repeat(63)]) {
      assert.equal(dnsLabelProblem(ok), undefined, ok);
    }
    for (const bad of [...hostile, "Victim", "a.b", "a-", "-a", "x".repeat(64), "ünïcödé", "a_b", "日本"]) {
      assert.notEqual(dnsLabelProblem(bad), undefined, JSON.stringify(bad));
    }
  });

  test("DNS-1123 subdomains (pods, nodes, objects)", () => {
    for (const ok of ["nginx-7d9c-abcde", "a.b.c", "kwok-node-0", "1", "a".repeat(253)]) {
      assert.equal(dnsSubdomainProblem(ok), undefined, ok);
    }
    for (const bad of [...hostile, "Victim", "a-", "a.", ".a", "a..b", "a".repeat(254), "ünïcödé", "a_b"]) {
      assert.notEqual(dnsSubdomainProblem(bad), undefined, JSON.stringify(bad));
    }
  });

  test("path segments (RBAC names)", () => {
    for (const ok of ["system:controller:x", "Victim", "a.b", "x_y", "ünïcödé"]) {
      assert.equal(pathSegmentProblem(ok), undefined, ok);
    }
    for (const bad of hostile) assert.notEqual(pathSegmentProblem(bad), undefined, JSON.stringify(bad));
  });

  test("the reason says what was wrong", () => {
    assert.equal(dnsSubdomainProblem(".."), "may not be '.' or '..'");
    assert.equal(dnsSubdomainProblem("."), "may not be '.' or '..'");
    assert.equal(dnsSubdomainProblem("a/../b"), "may not contain '/'");
    assert.equal(dnsSubdomainProblem("%2e%2e"), "may not contain '%'");
    assert.equal(dnsSubdomainProblem(""), "must not be empty");
    assert.equal(dnsSubdomainProblem("a".repeat(300)), "must be no more than 253 characters (got 300)");
    assert.match(dnsSubdomainProblem("Victim") ?? "", /lower case alphanumeric/);
    assert.match(dnsLabelProblem("trailing-") ?? "", /must start and end with an alphanumeric/);
  });

  test("entry points throw InvalidNameError naming the value, its field and the rule", () => {
    assert.throws(
      () => checkPodName("..", "k8s.pod.name"),
      (err: unknown) =>
        err instanceof InvalidNameError &&
        err.message === "invalid pod name '..' in k8s.pod.name: may not be '.' or '..'",
    );
    assert.throws(
      () => checkNamespace("Victim", "k8s.ns.name"),
      /^InvalidNameError: invalid namespace 'Victim' in k8s.ns.name: a lowercase RFC 1123 label/,
    );
    assert.throws(() => checkNodeName("a/../b", "the pod's spec.nodeName"), /in the pod's spec.nodeName/);
    assert.equal(checkPodName("nginx-abc", "k8s.pod.name"), "nginx-abc");
  });

  test("absurd values are cut in messages, control characters escaped", () => {
    let msg = "";
    try {
      checkPodName(long300, "k8s.pod.name");
    } catch (err) {
      msg = errorText(err);
    }
    assert.ok(msg.length < 200, msg);
    assert.match(
      msg,
      /^invalid pod name 'a{60}\.\.\.' \(300 characters\) in k8s.pod.name: must be no more than 253/,
    );
    assert.equal(quoted("a\u0000b'c"), "'a\\u0000b\\'c'");
    assert.throws(() => checkNamespace("a\u0000b", "k8s.ns.name"), /'a\\u0000b'/);
  });
});

describe("delete targets", () => {
  test("resource plurals", () => {
    assert.equal(checkResource("secrets"), "secrets");
    for (const bad of ["..", "../pods", "Secrets", "secrets/x", "", "%2e"]) {
      assert.throws(() => checkResource(bad, "ka.target.resource"), InvalidNameError, bad);
    }
  });

  test("each resource's own name rule", () => {
    assert.equal(checkResourceName("clusterroles", "system:controller:x"), "system:controller:x");
    assert.throws(() => checkResourceName("secrets", "system:x"), /invalid secret name 'system:x'/);
    assert.throws(() => checkResourceName("services", "1abc"), /DNS-1035/);
    assert.throws(() => checkResourceName("namespaces", "a.b"), /invalid namespace name/);
    for (const r of ["clusterroles", "secrets", "namespaces", "deployments", "services"]) {
      for (const bad of hostile) {
        assert.throws(() => checkResourceName(r, bad, "ka.target.name"), InvalidNameError, `${r} ${bad}`);
      }
    }
  });
});

describe("labels and annotations", () => {
  test("keys: optional subdomain prefix, a name of at most 63", () => {
    for (const ok of [
      "app",
      "app.kubernetes.io/name",
      "a_b.c-D",
      "Example",
      "x".repeat(63),
      `${"a".repeat(253)}/b`,
    ]) {
      assert.equal(labelKeyProblem(ok), undefined, ok);
    }
    for (const bad of [
      "",
      "a b",
      "/a",
      "a/",
      "a/b/c",
      "a/../b",
      "..",
      ".",
      "-a",
      "a-",
      "x".repeat(64),
      "Example.com/a",
      "ünï",
      "a\u0000",
      "%2e%2e",
      `${"a".repeat(254)}/b`,
    ]) {
      assert.notEqual(labelKeyProblem(bad), undefined, JSON.stringify(bad));
    }
    assert.equal(annotationKeyProblem("a b"), labelKeyProblem("a b"));
    assert.throws(
      () => checkLabelKey("a b"),
      /^InvalidNameError: invalid label key 'a b': the name part must consist/,
    );
  });

  test("values: empty or at most 63 of the same charset", () => {
    for (const ok of ["", "true", "a.b_c-d", "X".repeat(63)])
      assert.equal(labelValueProblem(ok), undefined, ok);
    for (const bad of ["a b", "-a", "a-", "..", "a/b", "X".repeat(64), "ünï", "\u0000"]) {
      assert.notEqual(labelValueProblem(bad), undefined, JSON.stringify(bad));
    }
    assert.throws(
      () => checkLabelValue("not valid!", "tier", "parameters.labels"),
      /^InvalidNameError: invalid label value 'not valid!' for the key 'tier' in parameters.labels: must consist/,
    );
    assert.throws(() => checkLabels({ ok: "1", "bad key": "1" }), /invalid label key 'bad key'/);
  });

  test("annotation values are free text, but the whole map is bounded", () => {
    assert.deepEqual(checkAnnotations({ "falco.org/rule": "Terminal shell ü \n anything" }), {
      "falco.org/rule": "Terminal shell ü \n anything",
    });
    assert.throws(() => checkAnnotations({ a: "x".repeat(256 * 1024) }), /more than Kubernetes' 262144/);
    assert.throws(() => checkAnnotations({ "a/b/c": "x" }), /invalid annotation key 'a\/b\/c'/);
  });
});

describe("IPs and CIDRs", () => {
  test("IPs", () => {
    for (const ok of ["10.0.0.1", "::1", "2001:db8::1", "::ffff:1.2.3.4"])
      assert.equal(ipProblem(ok), undefined, ok);
    for (const bad of [
      "",
      "01.2.3.4",
      "1.2.3.4/32",
      "256.1.1.1",
      " 1.2.3.4",
      "fe80::1%eth0",
      "example.com",
      "..",
    ]) {
      assert.notEqual(ipProblem(bad), undefined, bad);
    }
    assert.throws(
      () => checkIp("1.2.3", "fd.rip"),
      /^InvalidNameError: invalid IP '1.2.3' in fd.rip: must be an IPv4/,
    );
    assert.equal(hostCidr("10.0.0.1"), "10.0.0.1/32");
    assert.equal(hostCidr("2001:db8::1"), "2001:db8::1/128");
  });

  test("CIDRs: prefix bounds per family", () => {
    for (const ok of ["10.0.0.0/8", "0.0.0.0/0", "1.2.3.4/32", "::/0", "2001:db8::/128"]) {
      assert.equal(cidrProblem(ok), undefined, ok);
    }
    for (const bad of [
      "10.0.0.0",
      "10.0.0.0/33",
      "::/129",
      "10.0.0.0/-1",
      "10.0.0.0/08",
      "10.0.0.0/",
      "/8",
      "a/8",
      "1.2.3.4/8/9",
    ]) {
      assert.notEqual(cidrProblem(bad), undefined, bad);
    }
    assert.throws(() => checkCidr("10.0.0.0/33"), /prefix length must be an integer from 0 to 32/);
  });
});
