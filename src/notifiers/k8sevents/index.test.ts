import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { labelNotification as notification } from "../../../test/notifiers/env.js";
import { findNotifier } from "../registry.js";
import k8sevents, { eventMessage, truncateUtf8 } from "./index.js";

describe("k8sevents notifier", () => {
  it("is registered and takes no settings", () => {
    assert.equal(findNotifier("K8sEvents"), k8sevents);
    assert.deepEqual(k8sevents.parameters.parse({}), {});
  });

  it("renders Talon's plain text, quotes replaced, within 1024 bytes", () => {
    const text = eventMessage(
      notification({ objects: { Pod: "nginx", Namespace: "prod" }, output: "it's \x1b[31mred\x1b[0m" }),
    );
    assert.equal(
      text,
      [
        "Status: success",
        "Message: action",
        "Rule: Terminal shell in container",
        "Action: Label the pod",
        "Actionner: kubernetes:label",
        "Event: A shell was spawned in a container",
        "Namespace: prod",
        "Pod: nginx",
        'Output: it"s red',
        "TraceID: trace-123",
      ].join("\n"),
    );
    const long = eventMessage(notification({ output: "é".repeat(2000) }));
    assert.ok(Buffer.byteLength(long) <= 1024);
    assert.ok(Buffer.byteLength(long) >= 1022);
    assert.equal(truncateUtf8("aé", 2), "a");
  });
});
