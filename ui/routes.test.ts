import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { eventHref, parseRoute } from "./routes.js";

describe("console routes", () => {
  it("maps /ui paths to pages", () => {
    assert.deepEqual(parseRoute("/ui"), { page: "timeline" });
    assert.deepEqual(parseRoute("/ui/"), { page: "timeline" });
    assert.deepEqual(parseRoute("/ui/rules"), { page: "rules" });
    assert.deepEqual(parseRoute("/ui/rehearse/"), { page: "rehearse" });
    assert.deepEqual(parseRoute("/ui/events/abc-1"), { page: "event", id: "abc-1" });
  });

  it("round-trips any event id through its link", () => {
    for (const id of ["a/b", "x y", "é%", "../rules"]) {
      assert.deepEqual(parseRoute(eventHref(id)), { page: "event", id });
    }
  });

  it("anything else is a missing page, never an exception", () => {
    for (const path of [
      "/uix",
      "/ui/events",
      "/ui/events/a/b",
      "/ui/rules/x",
      "/ui/events/%E0%A4%A",
      "/other",
    ]) {
      assert.equal(parseRoute(path).page, "missing", path);
    }
  });
});
