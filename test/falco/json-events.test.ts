// processJson: syscall-style events (flat field maps) through falco_rules.yaml, and JSON plugin sources.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadFalcoRules, loadFalcoRulesFromStrings } from "../../src/falco/index.js";

test("Terminal shell in container fires on a syscall-style JSON event", () => {
  const { engine, problems } = loadFalcoRules(
    [new URL("../../../shared/conformance/rules/falco_rules.yaml", import.meta.url).pathname],
    {
      hostname: "node-1",
      timeFormatIso8601: true,
    },
  );
  assert.ok(engine, problems.map((p) => p.message).join("\n"));
  const ev = {
    "evt.rawtime": "1700000000000000000",
    "evt.type": "execve",
    "evt.arg.flags": "EXE_WRITABLE",
    "proc.name": "bash",
    "proc.exepath": "/bin/bash",
    "proc.cmdline": "bash",
    "proc.pname": "runc",
    "proc.tty": 34816,
    "proc.pid": 4242,
    "user.name": "root",
    "user.uid": 0,
    "user.loginuid": -1,
    "container.id": "0123456789ab",
    "container.name": "web",
    "container.image.repository": "nginx",
    "container.image.tag": "1.27",
    "k8s.ns.name": "default",
    "k8s.pod.name": "web-0",
  };
  const alerts = engine.processJson(ev, "syscall");
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.rule, "Terminal shell in container");
  assert.equal(alerts[0]!.priority, "Notice");
  assert.match(
    alerts[0]!.output,
    /^2023-11-14T22:13:20\.000000000\+0000: Notice A shell was spawned in a container/,
  );
  assert.equal(alerts[0]!.output_fields["proc.tty"], 34816);
  assert.equal(alerts[0]!.hostname, "node-1");
  // same event on the host (container.id = host) does not match
  assert.deepEqual(engine.processJson({ ...ev, "container.id": "host" }, "syscall"), []);
});

test("a JSON plugin source evaluates json.* fields", () => {
  const { engine, problems } = loadFalcoRulesFromStrings(
    [
      {
        path: "cloud.yaml",
        content: `
- rule: Root login
  desc: d
  condition: json.value[/userIdentity/type] = Root and json.value[/eventName] in (ConsoleLogin)
  output: root login from %json.value[/sourceIPAddress]
  priority: CRITICAL
  source: aws_cloudtrail
`,
      },
    ],
    { sources: ["syscall", "k8s_audit", "aws_cloudtrail"] },
  );
  assert.ok(engine, problems.map((p) => p.message).join("\n"));
  const alerts = engine.processJson(
    { userIdentity: { type: "Root" }, eventName: "ConsoleLogin", sourceIPAddress: "198.51.100.7" },
    "aws_cloudtrail",
  );
  assert.equal(alerts.length, 1);
  assert.match(alerts[0]!.output, /: Critical root login from 198\.51\.100\.7$/);
  assert.deepEqual(engine.processJson({ userIdentity: { type: "IAMUser" } }, "aws_cloudtrail"), []);
  assert.deepEqual(
    engine.processJson({ userIdentity: { type: "Root" }, eventName: "ConsoleLogin" }, "syscall"),
    [],
  );
});
