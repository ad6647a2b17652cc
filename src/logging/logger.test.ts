import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pino } from "pino";
import { createLogger, isoTimeOncePerMs, lineDestination } from "./logger.js";

/** The file's lines once it has `n` of them (the writes are asynchronous). */
async function linesOf(path: string, n: number): Promise<string[]> {
  for (let i = 0; i < 500; i++) {
    const lines = readFileSync(path, "utf8").split("\n").slice(0, -1);
    if (lines.length >= n) return lines;
    await new Promise((r) => setTimeout(r, 10));
  }
  return readFileSync(path, "utf8").split("\n").slice(0, -1);
}

function withFile(fn: (fd: number, path: string) => void | Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "logger-"));
    const path = join(dir, "log");
    const fd = openSync(path, "a");
    try {
      await fn(fd, path);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  "json lines reach the descriptor whole, in order, multi-byte text intact, past one 64 KiB write",
  withFile(async (fd, path) => {
    const dest = lineDestination(fd);
    const logger = createLogger("json", "info", dest);
    const n = 2000; // ~200 KB: several chunks
    for (let i = 0; i < n; i++) logger.info({ i, pod: "näive-pöd-✓", pad: "x".repeat(40) }, "line");
    const lines = await linesOf(path, n);
    assert.equal(lines.length, n);
    lines.forEach((l, i) => {
      const o = JSON.parse(l);
      assert.equal(o.i, i);
      assert.equal(o.pod, "näive-pöd-✓");
      assert.equal(o.message, "line");
      assert.equal(o.level, "info");
    });
  }),
);

test(
  "flushSync writes what waits behind the write in flight, nothing lost (the exit path)",
  withFile(async (fd, path) => {
    const dest = lineDestination(fd);
    const logger = createLogger("json", "info", dest);
    logger.info({ k: "é" }, "first"); // goes out at once, asynchronously
    logger.info({ k: "ü" }, "last words"); // waits for it
    dest.flushSync();
    const lines = (await linesOf(path, 2)).sort();
    assert.equal(lines.length, 2);
    assert.match(lines.join("\n"), /"k":"é".*"message":"first"/);
    assert.match(lines.join("\n"), /"k":"ü".*"message":"last words"/);
  }),
);

test(
  "text format through the same destination",
  withFile(async (fd, path) => {
    const dest = lineDestination(fd);
    const logger = createLogger("text", "info", dest);
    logger.info({ rule: "r ü" }, "match");
    assert.match((await linesOf(path, 1)).join("\n"), /match rule="r ü"/);
  }),
);

test("the time of a line: pino's isoTime, made once per millisecond", () => {
  let now = Date.UTC(2026, 11, 2, 1, 2, 3, 456);
  const stamp = isoTimeOncePerMs(() => now);
  assert.equal(stamp(), ',"time":"2026-12-02T01:02:03.456Z"');
  assert.equal(stamp(), ',"time":"2026-12-02T01:02:03.456Z"');
  now += 1;
  assert.equal(stamp(), ',"time":"2026-12-02T01:02:03.457Z"');
  // the format is pino's own
  const real = isoTimeOncePerMs()();
  assert.match(real, /^,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$/);
  assert.equal(pino.stdTimeFunctions.isoTime().length, real.length);
});
