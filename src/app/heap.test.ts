import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tuneHeap } from "./heap.js";

describe("tuneHeap", () => {
  it("leaves a growing factor given on the command line or in NODE_OPTIONS alone", () => {
    assert.equal(tuneHeap(["--heap-growing-percent=10"], ""), false);
    assert.equal(tuneHeap([], "--max-old-space-size=512 --heap_growing_percent=30"), false);
  });
  it("sets the server's factor otherwise", () => {
    assert.equal(tuneHeap(["--import", "tsx"], "--max-old-space-size=512"), true);
  });
});
