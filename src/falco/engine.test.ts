import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadFalcoRulesFromStrings } from "./index.js";

const RULE = `- rule: Any audit event
  desc: d
  condition: ka.verb exists
  output: verb=%ka.verb
  priority: WARNING
  source: k8s_audit
`;

describe("stage timestamps", () => {
  const { engine } = loadFalcoRulesFromStrings([{ path: "r.yaml", content: RULE }], { hostname: "h" });
  const time = (stageTimestamp: unknown) =>
    engine!.processK8sAudit({ kind: "Event", auditID: "a", verb: "get", stageTimestamp })[0]!.time;

  it("read exactly in any sequence: same second, next second, offsets, no fraction", () => {
    const cases: [string, string][] = [
      ["2026-11-20T10:15:30.130000123Z", "2026-11-20T10:15:30.130000123Z"],
      ["2026-11-20T10:15:30.5Z", "2026-11-20T10:15:30.500000000Z"],
      ["2026-11-20T10:15:30Z", "2026-11-20T10:15:30.000000000Z"],
      ["2026-11-20T10:15:31.000000001Z", "2026-11-20T10:15:31.000000001Z"],
      ["2026-11-20T10:15:30.25Z", "2026-11-20T10:15:30.250000000Z"],
      ["2026-11-20T12:15:30.25+02:00", "2026-11-20T10:15:30.250000000Z"],
      ["2026-11-20T10:15:30.7z", "2026-11-20T10:15:30.700000000Z"],
      ["2026-11-20T10:15:30.123456Z", "2026-11-20T10:15:30.123456000Z"],
    ];
    for (const [input, want] of cases) assert.equal(time(input), want, input);
  });

  it("a malformed one is an input error, also right after a good one of the same second", () => {
    time("2026-11-20T10:15:30.1Z");
    for (const bad of [
      "2026-11-20T10:15:30.Z",
      "2026-11-20T10:15:30.1234567890Z",
      "2026-11-20T10:15:30.1xZ",
      5,
    ]) {
      assert.throws(() => time(bad), /can't read stageTimestamp/, String(bad));
    }
  });
});
