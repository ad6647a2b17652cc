import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildObjectKey, contentTypeFor, formatKeyTimestamp } from "./key.js";

const now = new Date(Date.UTC(2024, 8, 3, 16, 3, 51, 123));

describe("formatKeyTimestamp", () => {
  it("formats UTC as 2006-01-02T15-04-05Z", () => {
    assert.equal(formatKeyTimestamp(now), "2024-09-03T16-03-51Z");
  });
});

// Talon's TestBuildObjectKey (3 subtests) plus exact values.
describe("buildObjectKey", () => {
  it("(a) uses namespace and pod and replaces / in the name", () => {
    const key = buildObjectKey({ name: "logs/app.txt", objects: { namespace: "prod", pod: "nginx" } }, now);
    assert.ok(key.endsWith("_prod_nginx_logs_app.txt"));
    assert.equal(key, "2024-09-03T16-03-51Z_prod_nginx_logs_app.txt");
  });

  it("(b) falls back to the hostname", () => {
    const key = buildObjectKey({ name: "capture.pcap", objects: { hostname: "node-1" } }, now);
    assert.ok(key.endsWith("_node-1_capture.pcap"));
    assert.equal(key, "2024-09-03T16-03-51Z_node-1_capture.pcap");
  });

  it("(c) otherwise uses sorted object values without `file`", () => {
    const artifact = { name: "n", objects: { zeta: "z", alpha: "a", file: "ignored" } };
    const first = buildObjectKey(artifact, now);
    assert.ok(first.includes("_a_z_"));
    assert.ok(!first.includes("ignored"));
    const later = buildObjectKey(artifact, new Date(now.getTime() + 61_000));
    assert.equal(first.slice(first.indexOf("_")), later.slice(later.indexOf("_")));
    assert.equal(first, "2024-09-03T16-03-51Z_a_z_n");
  });

  it("only a pod without a namespace is not enough", () => {
    const key = buildObjectKey({ name: "x", objects: { pod: "p", hostname: "h" } }, now);
    assert.equal(key, "2024-09-03T16-03-51Z_h_x");
  });

  it("keeps Talon's double underscore for downloaded absolute paths", () => {
    const key = buildObjectKey({ name: "/etc/passwd", objects: { namespace: "default", pod: "nginx" } }, now);
    assert.equal(key, "2024-09-03T16-03-51Z_default_nginx__etc_passwd");
  });
});

describe("contentTypeFor", () => {
  it("maps artifact names to MIME types", () => {
    assert.equal(contentTypeFor("tcpdump.pcap"), "application/vnd.tcpdump.pcap");
    assert.equal(contentTypeFor("sysdig.scap.gz"), "application/gzip");
    assert.equal(contentTypeFor("dump.tar.gz"), "application/gzip");
    assert.equal(contentTypeFor("log"), "text/plain; charset=utf-8");
    assert.equal(contentTypeFor("/var/log/app.log"), "text/plain; charset=utf-8");
    assert.equal(contentTypeFor("/etc/passwd"), "application/octet-stream");
    assert.equal(contentTypeFor("sysdig.scap"), "application/octet-stream");
  });
});
