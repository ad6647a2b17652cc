import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiException } from "@kubernetes/client-node";
import { createOrUpdate, readOrUndefined } from "./upsert.js";

const conflict = () => new ApiException(409, "Conflict", {}, {});

describe("createOrUpdate", () => {
  it("creates when absent, updates when present", async () => {
    const calls: string[] = [];
    const ops = (current: string | undefined) => ({
      read: async () => current,
      create: async () => calls.push("create"),
      update: async (c: string) => calls.push(`update ${c}`),
    });
    assert.equal(await createOrUpdate(ops(undefined)), "created");
    assert.equal(await createOrUpdate(ops("v1")), "updated");
    assert.deepEqual(calls, ["create", "update v1"]);
  });

  it("a lost create race re-reads and updates; other errors are thrown", async () => {
    let stored: string | undefined;
    const outcome = await createOrUpdate({
      read: async () => stored,
      create: async () => {
        stored = "theirs";
        throw conflict();
      },
      update: async () => undefined,
    });
    assert.equal(outcome, "updated");
    await assert.rejects(
      createOrUpdate({
        read: async () => undefined,
        create: async () => {
          throw new Error("forbidden");
        },
        update: async () => undefined,
      }),
      /forbidden/,
    );
  });

  it("gives up after five conflicts", async () => {
    let reads = 0;
    await assert.rejects(
      createOrUpdate({
        read: async () => {
          reads++;
          return "v";
        },
        create: async () => undefined,
        update: async () => {
          throw conflict();
        },
      }),
      (err: unknown) => err instanceof ApiException && err.code === 409,
    );
    assert.equal(reads, 5);
  });

  it("readOrUndefined: 404 is absent", async () => {
    assert.equal(
      await readOrUndefined(async () => {
        throw new ApiException(404, "Not Found", {}, {});
      }),
      undefined,
    );
  });
});
