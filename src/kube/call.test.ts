import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiException, Observable } from "@kubernetes/client-node";
import { ApiException as InternalApiException } from "@kubernetes/client-node/dist/gen/apis/exception.js";
import { Observable as InternalObservable } from "@kubernetes/client-node/dist/gen/rxjsStub.js";
import { isNotFound, kubeCall, kubeErrorMessage } from "./call.js";

describe("kubeCall", () => {
  it("checks errors against the very class the library throws", () => {
    // call.ts imports these internal modules so as not to load the whole library at start.
    assert.equal(InternalApiException, ApiException);
    assert.equal(InternalObservable, Observable);
  });

  it("retries 429/5xx and connection resets, then succeeds", async () => {
    const failures: unknown[] = [
      new ApiException(503, "unavailable", "{}", {}),
      new ApiException(429, "slow down", "{}", { "retry-after": "0" }),
      Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
    ];
    let calls = 0;
    const v = await kubeCall(
      "x",
      async () => {
        calls++;
        const f = failures.shift();
        if (f) throw f;
        return "ok";
      },
      { backoffMs: 1 },
    );
    assert.equal(v, "ok");
    assert.equal(calls, 4);
  });

  it("does not retry client errors", async () => {
    let calls = 0;
    const err = new ApiException(404, "nf", JSON.stringify({ message: 'pods "p" not found' }), {});
    await assert.rejects(
      kubeCall("x", async () => {
        calls++;
        throw err;
      }),
      (e) => isNotFound(e) && kubeErrorMessage(e) === 'pods "p" not found',
    );
    assert.equal(calls, 1);
  });

  it("times out each attempt through the signal and gives up after the retries", async () => {
    let calls = 0;
    const started = Date.now();
    await assert.rejects(
      kubeCall(
        "get pod a/b",
        (signal) =>
          new Promise((_, reject) => {
            calls++;
            signal.addEventListener("abort", () => reject(signal.reason));
          }),
        { timeoutMs: 50, retries: 1, backoffMs: 1 },
      ),
      /get pod a\/b: timed out after 50ms/,
    );
    assert.equal(calls, 2);
    assert.ok(Date.now() - started < 2000);
  });

  it("stops at once when the caller aborts", async () => {
    const ac = new AbortController();
    const p = kubeCall(
      "x",
      (signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
      { signal: ac.signal, timeoutMs: 10_000 },
    );
    ac.abort();
    await assert.rejects(p, /x: aborted/);
  });
});
