import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDuration, revertAfter, revertAfterMs } from "./index.js";

describe("revert_after", () => {
  it("parses Go-style durations", () => {
    assert.equal(parseDuration("30m"), 1_800_000);
    assert.equal(parseDuration("2h"), 7_200_000);
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("90s"), 90_000);
    assert.equal(parseDuration("1.5h"), 5_400_000);
    assert.equal(parseDuration("7d"), 604_800_000);
  });
  it("rejects what is not a duration", () => {
    for (const bad of ["", "30", "30 min", "m30", "1h 30m", "-5m", "1y", "5ms"]) {
      assert.equal(parseDuration(bad), undefined, bad);
      assert.equal(revertAfter.safeParse(bad).success, false, bad);
    }
    assert.equal(revertAfter.safeParse(30).success, false);
  });
  it("bounds the expiry and names the parameter", () => {
    const r = revertAfter.safeParse("100d");
    assert.equal(r.success, false);
    assert.match(r.error!.issues[0]!.message, /revert_after.*between 1s and 90d/);
    assert.equal(revertAfter.safeParse("0s").success, false);
  });
  it("is optional and reads back from parsed parameters", () => {
    assert.equal(revertAfter.parse(undefined), undefined);
    assert.equal(revertAfterMs({ revert_after: revertAfter.parse("2h") }), 7_200_000);
    assert.equal(revertAfterMs({}), undefined);
    assert.equal(revertAfterMs(undefined), undefined);
  });
});
