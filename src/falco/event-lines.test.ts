import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileChunks, readEventValues } from "./event-lines.js";

const dir = mkdtempSync(join(tmpdir(), "event-lines-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("fileChunks", () => {
  const text = Array.from({ length: 50 }, (_, i) => `{"n":${i},"s":"${"x".repeat(i)}"}`).join("\n");
  const file = join(dir, "f.jsonl");
  writeFileSync(file, text);

  it("gives the whole file, chunk after chunk, each valid until the next is asked for", async () => {
    for (const size of [7, 64, 1 << 20]) {
      const copies: Buffer[] = [];
      for await (const chunk of fileChunks(file, size)) {
        assert.ok(chunk.length <= size);
        const copy = Buffer.from(chunk);
        // the next chunk is being read meanwhile, into the other buffer: this one stays as it was
        await new Promise((r) => setTimeout(r, 2));
        assert.deepEqual(chunk, copy);
        copies.push(copy);
      }
      assert.equal(Buffer.concat(copies).toString("utf8"), text, `chunks of ${size}`);
    }
  });

  it("a consumer that stops early closes the file without error", async () => {
    for (let stopAt = 0; stopAt < 3; stopAt++) {
      let n = 0;
      for await (const _ of fileChunks(file, 16)) if (n++ === stopAt) break;
      assert.equal(n, stopAt + 1);
    }
  });

  it("an empty file gives no chunk", async () => {
    const empty = join(dir, "empty");
    writeFileSync(empty, "");
    let n = 0;
    for await (const _ of fileChunks(empty)) n++;
    assert.equal(n, 0);
  });

  it("lines across chunk boundaries are read whole", async () => {
    const values: unknown[] = [];
    await readEventValues(fileChunks(file, 5), {
      value: (v) => values.push(v),
      problem: (t) => assert.fail(t),
      batchDone: async () => {},
    });
    assert.equal(values.length, 50);
    assert.deepEqual(values[49], { n: 49, s: "x".repeat(49) });
  });
});
