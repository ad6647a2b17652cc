import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Notification } from "../plugins/types.js";
import { notificationJson, notificationText } from "./payload.js";

const notification: Notification = {
  time: "2024-01-01T00:00:00Z",
  message: "action",
  status: "success",
  rule: "Terminal shell",
  event: "A shell was spawned",
  priority: "Warning",
  source: "syscall",
  action: "Label the pod",
  actionner: "kubernetes:label",
  output: "labeled\n\x1b[31mred\x1b[0m",
  trace_id: "t-1",
  objects: { Pod: "nginx", Namespace: "prod" },
};

describe("notification renderings", () => {
  it("plain text: one renderer, two layouts (smtp below the label, k8sevents inline)", () => {
    const head = [
      "Status: success",
      "Message: action",
      "Rule: Terminal shell",
      "Action: Label the pod",
      "Actionner: kubernetes:label",
      "Event: A shell was spawned",
      "Namespace: prod",
      "Pod: nginx",
    ];
    assert.equal(
      notificationText(notification, { traceLabel: "Trace ID", outputBelow: true }),
      [...head, "Output:", "labeled", "red", "Trace ID: t-1"].join("\n"),
    );
    assert.equal(
      notificationText(notification, { traceLabel: "TraceID", outputBelow: false }),
      [...head, "Output: labeled\nred", "TraceID: t-1"].join("\n"),
    );
    // An output made only of control characters: smtp keeps its label, k8sevents drops it.
    const blank = { ...notification, output: "\x07", trace_id: "" };
    assert.ok(notificationText(blank, { traceLabel: "Trace ID", outputBelow: true }).endsWith("Output:\n"));
    assert.ok(notificationText(blank, { traceLabel: "TraceID", outputBelow: false }).endsWith("Pod: nginx"));
  });

  it("JSON: Talon's key order, empty values left out", () => {
    const json = notificationJson({ ...notification, error: "", objects: {} });
    assert.deepEqual(Object.keys(json), [
      "time",
      "trace_id",
      "rule",
      "event",
      "message",
      "priority",
      "source",
      "output",
      "actionner",
      "action",
      "status",
    ]);
  });
});
