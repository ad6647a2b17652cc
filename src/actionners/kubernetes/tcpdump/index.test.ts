import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actionInput } from "../../../../test/support/actionner-input.js";
import tcpdump, { captureScript, tcpdumpContainer } from "./index.js";

const input = (raw: unknown) => actionInput(tcpdump, raw);

describe("kubernetes:tcpdump", () => {
  it("validates parameters", () => {
    assert.deepEqual(tcpdump.parameters.parse({}), {
      duration: 5,
      snaplen: 4096,
      image: "issif/tcpdump:latest",
      shell: "/bin/sh",
      start_timeout: 60,
    });
    assert.equal(tcpdump.parameters.parse({ duration: 0 }).duration, 5);
    assert.equal(tcpdump.parameters.parse({ snaplen: 0 }).snaplen, 0);
    assert.throws(() => tcpdump.parameters.parse({ duration: 301 }), /at most 300/);
    assert.throws(() => tcpdump.parameters.parse({ snaplen: -1 }));
    assert.equal(tcpdump.info.requireOutput, true);
    assert.equal(tcpdump.info.continue, false);
  });

  it("rejections name the parameter", () => {
    const issues = (raw: unknown) =>
      tcpdump.parameters.safeParse(raw).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
    assert.deepEqual(issues({ duration: 301 }), ["duration: 'duration' must be at most 300 seconds"]);
    assert.match(issues({ snaplen: -1 })[0] ?? "", /^snaplen: .*>=0/);
    assert.match(issues({ start_timeout: 0 })[0] ?? "", /^start_timeout: .*>=1/);
    assert.match(issues({ container: "A_B" })[0] ?? "", /^container: invalid container name 'A_B'/);
  });

  it("the debug container has raw-socket capabilities only and outlives the capture", () => {
    const c = tcpdumpContainer("dbg", "app", tcpdump.parameters.parse({ duration: 10 }));
    assert.deepEqual(c.command, ["sleep", "70"]);
    assert.equal(c.targetContainerName, "app");
    assert.deepEqual(c.securityContext?.capabilities, { add: ["NET_RAW", "NET_ADMIN"] });
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
  });

  it("plan: the debug container and the capture script, without any request", async () => {
    const p = tcpdump.parameters.parse({});
    assert.deepEqual(await tcpdump.plan?.(input({})), {
      objects: { pod: "web-1", namespace: "prod" },
      plan: "add an ephemeral container (image 'issif/tcpdump:latest', NET_RAW/NET_ADMIN) to the pod 'web-1' in the namespace 'prod' targeting its first container, capture 5s of packets (snaplen 4096) and fetch the pcap",
      details: { image: "issif/tcpdump:latest", duration: 5, snaplen: 4096, script: captureScript(p) },
    });
    assert.match(captureScript(p), /^timeout 5 tcpdump -n -i any -s 4096 -U -w "\$f" >&2 <\/dev\/null$/m);
  });
});
