/**
 * MemoryUndoStore held to the contract KvUndoStore also passes (test/support/nats.ts), so a
 * single engine and a NATS deployment keep and expire reversible actions alike.
 */
import { describe } from "node:test";
import { undoStoreContract } from "../../test/support/nats.js";
import { MemoryUndoStore } from "./store.js";

describe("MemoryUndoStore", () => {
  undoStoreContract(async () => new MemoryUndoStore());
});
