import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { NotifierHttpError, sendHttp } from "../../src/notifiers/http.js";
import { type Receiver, reply, startReceiver } from "./receiver.js";

const fast = { backoffMs: 5, maxBackoffMs: 50, timeoutMs: 2_000 };

describe("sendHttp against a real HTTP server", () => {
  let rx: Receiver;
  before(async () => {
    rx = await startReceiver();
  });
  after(() => rx.close());
  beforeEach(() => {
    rx.requests.length = 0;
    rx.queue.length = 0;
    rx.fallback = reply(200, "ok");
  });

  it("sends method, path, headers and body", async () => {
    const res = await sendHttp(
      { url: `${rx.url}/hook/a?x=1`, method: "put", headers: { "X-Test": "v" }, body: '{"a":1}' },
      fast,
    );
    assert.equal(res.status, 200);
    assert.equal(res.body, "ok");
    const [r] = rx.requests;
    assert.equal(r?.method, "PUT");
    assert.equal(r?.url, "/hook/a?x=1");
    assert.equal(r?.headers["x-test"], "v");
    assert.equal(r?.body, '{"a":1}');
  });

  it("retries 503 and 429 then succeeds", async () => {
    rx.queue.push(reply(503), reply(429, "", { "Retry-After": "0" }));
    const res = await sendHttp({ url: rx.url, body: "x" }, fast);
    assert.equal(res.status, 200);
    assert.equal(rx.requests.length, 3);
  });

  it("reuses keep-alive connections instead of one per request", async () => {
    for (let i = 0; i < 8; i++) await sendHttp({ url: rx.url, body: String(i) }, fast);
    const ports = new Set(rx.requests.map((r) => r.remotePort));
    // undici's pool may alternate between two sockets; never one per request.
    assert.ok(ports.size <= 2, `${ports.size} connections for 8 requests`);
  });

  it("gives up after the bounded number of attempts with Talon's text", async () => {
    rx.fallback = reply(429);
    await assert.rejects(
      sendHttp({ url: `${rx.url}/secret/path`, body: "x" }, { ...fast, attempts: 3 }),
      (e) => {
        assert.ok(e instanceof NotifierHttpError);
        assert.equal(e.status, 429);
        assert.equal(e.attempts, 3);
        assert.match(e.message, /exceeding post rate limit \(after 3 attempts\)/);
        assert.doesNotMatch(e.message, /secret/);
        return true;
      },
    );
    assert.equal(rx.requests.length, 3);
  });

  it("does not retry client errors", async () => {
    const cases: [number, string][] = [
      [400, "header missing: bad field"],
      [401, "authentication error"],
      [403, "access denied"],
      [404, "resource not found"],
      [422, "wrong request"],
      [409, "409 Conflict"],
    ];
    for (const [status, text] of cases) {
      rx.requests.length = 0;
      rx.fallback = reply(status, "bad field");
      await assert.rejects(sendHttp({ url: rx.url, body: "x" }, fast), (e: Error) =>
        e.message.endsWith(text),
      );
      assert.equal(rx.requests.length, 1, `status ${status}`);
    }
  });

  it("times out a hanging server and retries", async () => {
    rx.fallback = () => {}; // never answers
    const started = Date.now();
    await assert.rejects(
      sendHttp({ url: rx.url, body: "x" }, { ...fast, timeoutMs: 150, attempts: 2 }),
      /timeout after 150ms \(after 2 attempts\)/,
    );
    assert.equal(rx.requests.length, 2);
    assert.ok(Date.now() - started < 2_000);
  });

  it("reports refused connections", async () => {
    const closed = await startReceiver();
    const url = closed.url;
    await closed.close();
    await assert.rejects(sendHttp({ url, body: "x" }, { ...fast, attempts: 2 }), /ECONNREFUSED/);
  });

  it("stops on abort", async () => {
    rx.fallback = () => {};
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 50);
    await assert.rejects(sendHttp({ url: rx.url, body: "x" }, { ...fast, signal: ctl.signal }), /aborted/);
  });

  it("sends no body with GET", async () => {
    // Its own path: a request of an earlier test (aborted while hanging) can still land late.
    await sendHttp({ url: `${rx.url}/get-no-body`, method: "GET", body: "ignored" }, fast);
    const mine = rx.requests.filter((r) => r.url === "/get-no-body");
    assert.equal(mine.length, 1);
    assert.equal(mine[0]?.method, "GET");
    assert.equal(mine[0]?.body, "");
  });
});
