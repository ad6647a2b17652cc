import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapePointerToken, guardedMetadataPatch, mapValue } from "./patch.js";

describe("escapePointerToken", () => {
  it("escapes ~ before /", () => {
    assert.equal(escapePointerToken("a/b~c"), "a~1b~0c");
    assert.equal(escapePointerToken("~1"), "~01");
  });
});

describe("guardedMetadataPatch", () => {
  it("tests each touched key (null: absent) before setting or removing it, and skips keys already right", () => {
    assert.deepEqual(
      guardedMetadataPatch(
        "labels",
        { old: "x", keep: "y", "a/b~c": "1" },
        { old: null, keep: "y", fresh: "n", "a/b~c": "2" },
      ),
      [
        { op: "test", path: "/metadata/labels/old", value: "x" },
        { op: "remove", path: "/metadata/labels/old" },
        { op: "test", path: "/metadata/labels/fresh", value: null },
        { op: "add", path: "/metadata/labels/fresh", value: "n" },
        { op: "test", path: "/metadata/labels/a~1b~0c", value: "1" },
        { op: "add", path: "/metadata/labels/a~1b~0c", value: "2" },
      ],
    );
  });
  it("tests an absent map absent, then creates it; nothing to change gives no ops", () => {
    assert.deepEqual(guardedMetadataPatch("annotations", undefined, { a: "1", gone: null }), [
      { op: "test", path: "/metadata/annotations", value: null },
      { op: "add", path: "/metadata/annotations", value: {} },
      { op: "add", path: "/metadata/annotations/a", value: "1" },
    ]);
    assert.deepEqual(guardedMetadataPatch("labels", undefined, { gone: null }), []);
    assert.deepEqual(guardedMetadataPatch("labels", { a: "1" }, { a: "1" }), []);
  });
  it("reads own keys only: 'constructor' is absent from an empty map", () => {
    assert.equal(mapValue({}, "constructor"), null);
    assert.deepEqual(guardedMetadataPatch("labels", {}, { constructor: "x" }), [
      { op: "test", path: "/metadata/labels/constructor", value: null },
      { op: "add", path: "/metadata/labels/constructor", value: "x" },
    ]);
  });
});
