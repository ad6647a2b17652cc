import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { basicAuth, retryAfterMs, safeOrigin, statusErrorText } from "./http.js";

describe("notifier http helpers", () => {
  it("maps statuses to Talon's error texts", () => {
    assert.equal(statusErrorText(400, "Bad Request", "missing x"), "header missing: missing x");
    assert.equal(statusErrorText(401, "", ""), "authentication error");
    assert.equal(statusErrorText(403, "", ""), "access denied");
    assert.equal(statusErrorText(404, "", ""), "resource not found");
    assert.equal(statusErrorText(422, "", ""), "wrong request");
    assert.equal(statusErrorText(429, "", ""), "exceeding post rate limit");
    assert.equal(statusErrorText(502, "Bad Gateway", ""), "502 Bad Gateway");
  });

  it("parses Retry-After", () => {
    assert.equal(retryAfterMs("2"), 2000);
    assert.equal(retryAfterMs(null), undefined);
    assert.equal(retryAfterMs("soon"), undefined);
    const now = Date.parse("2024-01-01T00:00:00Z");
    assert.equal(retryAfterMs("Mon, 01 Jan 2024 00:00:03 GMT", now), 3000);
  });

  it("builds basic auth and hides URL paths", () => {
    assert.equal(basicAuth("elastic", "changeme"), "Basic ZWxhc3RpYzpjaGFuZ2VtZQ==");
    assert.equal(safeOrigin("https://hooks.slack.com/services/T0/B0/secret"), "https://hooks.slack.com");
    assert.equal(safeOrigin("not a url"), "<invalid url>");
  });
});
