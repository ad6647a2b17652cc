import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapePointerToken, metadataMapPatch } from "./patch.js";

describe("escapePointerToken", () => {
  it("escapes ~ before /", () => {
    assert.equal(escapePointerToken("a/b~c"), "a~1b~0c");
    assert.equal(escapePointerToken("~1"), "~01");
  });
});

describe("metadataMapPatch", () => {
  it("adds, changes and removes in one patch", () => {
    assert.deepEqual(
      metadataMapPatch("labels", { old: "x", keep: "y" }, { "app.io/new": "1", keep: "z", old: "" }),
      [
        { op: "add", path: "/metadata/labels/app.io~1new", value: "1" },
        { op: "add", path: "/metadata/labels/keep", value: "z" },
        { op: "remove", path: "/metadata/labels/old" },
      ],
    );
  });
  it("creates a missing map and skips removing absent keys", () => {
    assert.deepEqual(metadataMapPatch("annotations", undefined, { a: "1", gone: "" }), [
      { op: "add", path: "/metadata/annotations", value: {} },
      { op: "add", path: "/metadata/annotations/a", value: "1" },
    ]);
    assert.deepEqual(metadataMapPatch("labels", undefined, { gone: "" }), []);
  });
});
