import assert from "node:assert/strict";
import { describe, it } from "node:test";
import webhook, { webhookRequest } from "./index.js";

describe("webhook settings", () => {
  it("applies Talon's defaults", () => {
    const s = webhook.parameters.parse({ url: "http://127.0.0.1:1/x" });
    assert.equal(s.http_method, "POST");
    assert.equal(s.content_type, "application/json; charset=utf-8");
    assert.equal(s.user_agent, "falco-talon");
    assert.deepEqual(s.custom_headers, {});
  });

  it("requires an http(s) url", () => {
    assert.equal(webhook.parameters.safeParse({}).success, false);
    assert.equal(webhook.parameters.safeParse({ url: "ftp://x" }).success, false);
    assert.equal(webhook.parameters.safeParse({ url: "https://x.example/hook" }).success, true);
  });

  it("turns numeric custom header values into strings and keeps string maps", () => {
    const s = webhook.parameters.parse({
      url: "http://h/",
      custom_headers: { Authorization: "Bearer token", "X-Retry": 3 },
    });
    assert.deepEqual(s.custom_headers, { Authorization: "Bearer token", "X-Retry": "3" });
    const t = webhook.parameters.parse({ url: "http://h/", custom_headers: { "X-Test": "value" } });
    assert.deepEqual(t.custom_headers, { "X-Test": "value" });
  });

  it("sends no body or content type with GET", () => {
    const s = webhook.parameters.parse({ url: "http://h/", http_method: "get" });
    const req = webhookRequest("{}", s);
    assert.equal(req.method, "GET");
    assert.equal(req.body, undefined);
    assert.equal(req.headers["Content-Type"], undefined);
  });
});
