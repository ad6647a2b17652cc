import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import webhook from "../../src/notifiers/webhook/index.js";
import { sampleNotification, testEnv } from "./env.js";
import { type Receiver, reply, startReceiver } from "./receiver.js";

describe("webhook notifier against a real HTTP receiver", () => {
  let rx: Receiver;
  before(async () => {
    rx = await startReceiver(reply(204));
  });
  after(() => rx.close());

  it("POSTs the LogLine JSON with the configured headers", async () => {
    const settings = webhook.parameters.parse({
      url: `${rx.url}/falco/talon?token=abc`,
      custom_headers: { Authorization: "Bearer token", "X-Retry": 3 },
    });
    await webhook.send(sampleNotification({ error: "" }), settings, testEnv());
    const r = rx.requests.at(-1)!;
    assert.equal(r.method, "POST");
    assert.equal(r.url, "/falco/talon?token=abc");
    assert.equal(r.headers["content-type"], "application/json; charset=utf-8");
    assert.equal(r.headers["user-agent"], "falco-talon");
    assert.equal(r.headers.authorization, "Bearer token");
    assert.equal(r.headers["x-retry"], "3");
    const body = JSON.parse(r.body);
    assert.deepEqual(Object.keys(body), [
      "time",
      "objects",
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
    assert.deepEqual(body.objects, { Namespace: "default", Pod: "nginx" });
    assert.equal(body.status, "success");
    assert.equal(body.error, undefined);
  });

  it("uses another method, content type and user agent", async () => {
    const settings = webhook.parameters.parse({
      url: `${rx.url}/put`,
      http_method: "PUT",
      content_type: "text/plain",
      user_agent: "talon-ts/1",
    });
    await webhook.send(sampleNotification({ status: "failure", error: "boom" }), settings, testEnv());
    const r = rx.requests.at(-1)!;
    assert.equal(r.method, "PUT");
    assert.equal(r.headers["content-type"], "text/plain");
    assert.equal(r.headers["user-agent"], "talon-ts/1");
    assert.equal(JSON.parse(r.body).error, "boom");
  });

  it("throws a clear error after bounded retries", async () => {
    rx.queue.push(reply(500), reply(500));
    const settings = webhook.parameters.parse({ url: `${rx.url}/fail`, max_attempts: 2 });
    const before = rx.requests.length;
    await assert.rejects(
      webhook.send(sampleNotification(), settings, testEnv()),
      /500 Internal Server Error/,
    );
    assert.equal(rx.requests.length - before, 2);
  });
});
