import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { test } from "node:test";
import { pino } from "pino";
import { Metrics } from "../metrics/metrics.js";
import { createIntakeServer } from "./http.js";

test("refused requests are counted and logged with the reason (debug), never silently", async () => {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split("\n")) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const server = createIntakeServer({
    logger: pino({ messageKey: "message", level: "debug" }, sink),
    metrics: new Metrics(),
    maxBodyBytes: 64,
    accept: async () => "queued",
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    assert.equal((await fetch(url, { method: "POST", body: "{not json" })).status, 400);
    assert.equal((await fetch(url)).status, 400);
    assert.equal((await fetch(url, { method: "POST", body: "x".repeat(100) })).status, 413);
  } finally {
    await new Promise((r) => server.close(r));
  }
  const refusals = logs.filter((l) => l.message === "request refused");
  assert.deepEqual(
    refusals.map((l) => [l.status, l.reason]),
    [
      [400, "bad_body"],
      [400, "method"],
      [413, "too_large"],
    ],
  );
  assert.match(String(refusals[0]?.error), /invalid JSON/);
  assert.equal(refusals[0]?.remote, "127.0.0.1");
  assert.ok(refusals.every((l) => l.level === 20));
});

test("a client still sending an oversized body reads the 413 (it is not reset)", async () => {
  const server = createIntakeServer({
    logger: pino({ level: "silent" }),
    metrics: new Metrics(),
    maxBodyBytes: 1024 * 1024,
    accept: async () => "queued",
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const body = JSON.stringify({ output: "x".repeat(2 * 1024 * 1024) });
    for (let i = 0; i < 20; i++) {
      const res = await fetch(url, { method: "POST", body });
      assert.equal(res.status, 413);
      assert.match(await res.text(), /^Request body too large/);
    }
    // The connection stays usable after a drained body.
    assert.equal((await fetch(url, { method: "POST", body: "{}" })).status, 200);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
