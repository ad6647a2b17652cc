import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EventListScanner } from "./event-list-stream.js";

/** Feeds `text` in pieces of `size` characters; returns what the scanner handed over. */
function scan(text: string, size: number) {
  const items: string[] = [];
  const docs: string[] = [];
  const s = new EventListScanner({
    item: (t) => items.push(t),
    document: (t) => docs.push(t),
    unfinished: () => items.push("(unfinished)"),
  });
  for (let i = 0; i < text.length; i += size) s.push(text.slice(i, i + size));
  s.end();
  return { items, docs };
}

const tricky = { kind: "Event", note: 'a}"]{\\"[', n: [1, { x: "}" }] };

describe("EventListScanner", () => {
  it("hands over each item of an EventList, whatever the pieces (strings with brackets, escapes)", () => {
    const list = {
      kind: "EventList",
      apiVersion: "audit.k8s.io/v1",
      metadata: {},
      items: [tricky, { kind: "Event" }],
    };
    for (const text of [JSON.stringify(list, null, 2), JSON.stringify(list)]) {
      for (const size of [1, 3, 1000]) {
        const { items, docs } = scan(text, size);
        assert.deepEqual(docs, []);
        assert.deepEqual(
          items.map((t) => JSON.parse(t)),
          list.items,
        );
      }
    }
  });

  it("an item that is not an object: one `null`, and the rest is not read", () => {
    const { items } = scan('{"kind":"EventList","items":[{"kind":"Event"}, 5, {"kind":"Event"}]}', 4);
    assert.deepEqual(items, ['{"kind":"Event"}', "null"]);
  });

  it("an input that ends inside items is unfinished, after the items read", () => {
    const { items } = scan('{"kind":"EventList","items":[{"kind":"Event"},{"kind":', 5);
    assert.deepEqual(items, ['{"kind":"Event"}', "(unfinished)"]);
  });

  it("anything else is the whole document: kind after items, another kind, no items, not an object", () => {
    for (const text of [
      '{"items":[{"kind":"Event"}],"kind":"EventList"}',
      '{"kind":"Event","items":[{"a":1}]}',
      '{"kind":"EventList"}',
      '[{"kind":"Event"}]',
      '{"kind": "EventList", "metadata": {"items": [1]}}',
    ]) {
      const { items, docs } = scan(text, 2);
      assert.deepEqual(items, [], text);
      assert.deepEqual(docs, [text], text);
    }
  });
});
