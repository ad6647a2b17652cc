/**
 * No loss under failure: 2,000 events through 3 server processes on a 3-node NATS cluster,
 * with a replica and the stream leader node killed (-9) mid-burst and restarted
 * (`npm run soak` runs the same with 10,000).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runSoak } from "../support/soak.js";

test("every accepted event is acted on at least once across replica and NATS node crashes", {
  timeout: 600_000,
}, async (t) => {
  const r = await runSoak({ events: 2000, log: (line) => t.diagnostic(line) });
  t.diagnostic(JSON.stringify(r));
  assert.equal(r.accepted + r.rejected, 2000);
  assert.ok(r.accepted > 0);
  assert.equal(r.lost, 0, "accepted events never acted on");
  assert.ok(r.acted >= r.accepted);
  assert.ok(r.acted <= r.accepted + r.rejectedButActed, "nothing acted on that was never sent");
});
