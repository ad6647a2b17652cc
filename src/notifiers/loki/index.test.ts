import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Notification } from "../../plugins/types.js";
import loki, { lokiLabels, lokiLine, lokiPushBody, unixNanos } from "./index.js";

const n: Notification = {
  time: "2024-09-03T16:03:51.123Z",
  message: "output",
  status: "failure",
  rule: "Terminal Shell In Container",
  event: "e",
  priority: "Warning",
  source: "syscall",
  action: "Get Logs",
  actionner: "kubernetes:log",
  output_target: "aws:s3",
  error: "the bucket 'b' does not exist",
  trace_id: "4bf92f35",
  objects: { Pod: "nginx", Namespace: "default" },
};

describe("loki", () => {
  // Talon's example showed a `host_port` setting; the setting is `url`.
  it("documents the url setting", () => {
    assert.match(loki.info.example, /url:/);
    assert.doesNotMatch(loki.info.example, /host_port:/);
  });

  it("uses bounded labels only", () => {
    assert.deepEqual(lokiLabels(n), {
      status: "failure",
      rule: "terminal_shell_in_container",
      action: "get_logs",
      actionner: "kubernetes:log",
      outputtarget: "aws:s3",
      message: "output",
    });
  });

  it("keeps the trace id and objects in the line", () => {
    assert.equal(lokiLine(n), "the bucket 'b' does not exist trace_id=4bf92f35 namespace=default pod=nginx");
    assert.equal(lokiLine({ ...n, error: undefined, result: "r", output: "o" }).startsWith("r "), true);
  });

  it("builds the push body with a nanosecond timestamp", () => {
    assert.equal(unixNanos("2024-09-03T16:03:51.123Z"), "1725379431123000000");
    const body = JSON.parse(lokiPushBody(n));
    assert.equal(body.streams.length, 1);
    assert.deepEqual(body.streams[0].values[0][0], "1725379431123000000");
  });
});
