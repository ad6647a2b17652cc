import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SessionStore } from "./sessions.js";

describe("console sessions", () => {
  it("a session is valid for its token until it expires or is closed", () => {
    let now = 0;
    const s = new SessionStore({ ttlMs: 1000, now: () => now });
    const id = s.open("tok");
    assert.match(id, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(s.open("tok"), id, "random ids");
    assert.equal(s.valid(id, "tok"), true);
    assert.equal(s.valid(id, "rotated"), false, "a new token signs everyone out");
    assert.equal(s.valid(id, "tok"), false, "for good");
    const id2 = s.open("tok");
    now = 999;
    assert.equal(s.valid(id2, "tok"), true);
    now = 1000;
    assert.equal(s.valid(id2, "tok"), false, "expired");
    const id3 = s.open("tok");
    s.close(id3);
    assert.equal(s.valid(id3, "tok"), false, "signed out");
    assert.equal(s.valid(undefined, "tok"), false);
    assert.equal(s.valid("nope", "tok"), false);
    assert.equal(s.valid(s.open("tok"), undefined), false, "no token readable: no session holds");
  });

  it("is bounded: past max, the oldest session is closed", () => {
    const s = new SessionStore({ max: 3 });
    const ids = [1, 2, 3, 4].map(() => s.open("t"));
    assert.equal(s.size, 3);
    assert.equal(s.valid(ids[0], "t"), false);
    assert.equal(s.valid(ids[3], "t"), true);
  });
});
