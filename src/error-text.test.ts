import assert from "node:assert/strict";
import { test } from "node:test";
import { errorText } from "./error-text.js";

test("errorText finds the message in whatever was thrown", () => {
  assert.equal(errorText(new Error("boom")), "boom");
  assert.equal(errorText("plain"), "plain");
  assert.equal(errorText(undefined), "unknown error");
  assert.equal(errorText(new Error("", { cause: new Error("inner") })), "inner");
  // a V1Status from the exec client
  assert.equal(
    errorText({
      kind: "Status",
      status: "Failure",
      message: 'pods "x" not found',
      reason: "NotFound",
      code: 404,
    }),
    'pods "x" not found (HTTP 404)',
  );
  assert.equal(errorText({ status: "Failure", reason: "Forbidden" }), "Forbidden");
  // a WebSocket ErrorEvent
  assert.equal(
    errorText({ type: "error", error: new Error("Unexpected server response: 403") }),
    "Unexpected server response: 403",
  );
  assert.equal(errorText({ type: "error", message: "socket closed" }), "socket closed");
  assert.equal(errorText({ a: 1 }), '{"a":1}');
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  assert.equal(errorText(circular), "unknown error");
  assert.ok(!errorText(Object.create(null)).includes("[object"));
  assert.equal(errorText("x".repeat(5000)).length, 2001);
});
