import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Notification } from "../../plugins/types.js";
import slack, { COLORS, slackPayload } from "./index.js";

const base: Notification = {
  time: "2024-09-03T16:03:51Z",
  message: "action",
  status: "success",
  rule: "Terminal shell",
  event: "A shell was spawned",
  priority: "Warning",
  source: "syscall",
  action: "Terminate",
  actionner: "kubernetes:terminate",
  output: "the pod 'nginx' has been terminated\x1b[0m",
  trace_id: "abc",
  objects: { Pod: "nginx", Namespace: "default" },
};

describe("slack payload", () => {
  const settings = slack.parameters.parse({ webhook_url: "https://hooks.slack.com/services/T/B/x" });

  it("has Talon's defaults", () => {
    assert.equal(settings.username, "Falco Talon");
    assert.equal(settings.footer, "http://github.com/falcosecurity/falco-talon");
    assert.equal(settings.format, "long");
    assert.match(settings.icon, /Circaetus_gallicus_claw\.jpg$/);
    assert.equal(slack.parameters.safeParse({ webhook_url: "hooks.slack.com" }).success, false);
  });

  it("renders the long format with fields in Talon's order", () => {
    const p = slackPayload({ ...base, error: "e", result: "r", output_target: "local:file" }, settings);
    assert.equal(
      p.text,
      "[*SUCCESS*][*ACTION*] Rule: `Terminal shell` Action: `Terminate` OutputTarget: `local:file`",
    );
    const a = p.attachments[0]!;
    assert.equal(a.color, COLORS.success);
    assert.equal(a.footer, settings.footer);
    assert.equal(a.text, undefined);
    assert.deepEqual(
      a.fields.map((f) => [f.title, f.short]),
      [
        ["Rule", false],
        ["Action", false],
        ["Actionner", true],
        ["Status", true],
        ["Namespace", true],
        ["Pod", true],
        ["Event", false],
        ["Message", false],
        ["Error", false],
        ["OutputTarget", false],
        ["Trace ID", false],
        ["Result", false],
        ["Output", false],
      ],
    );
    assert.equal(a.fields[6]!.value, "```A shell was spawned```");
    assert.equal(a.fields.at(-1)!.value, "```\nthe pod 'nginx' has been terminated```");
    assert.equal(p.username, "Falco Talon");
  });

  it("renders the short format without fields", () => {
    const p = slackPayload(
      { ...base, status: "failure" },
      slack.parameters.parse({ webhook_url: "https://h/x", format: "short" }),
    );
    assert.equal(p.text, undefined);
    assert.equal(p.attachments[0]!.text, "[*FAILURE*][*ACTION*] Rule: `Terminal shell` Action: `Terminate`");
    assert.deepEqual(p.attachments[0]!.fields, []);
    assert.equal(p.attachments[0]!.color, "#e20b0b");
  });

  it("colours ignored actions grey", () => {
    assert.equal(slackPayload({ ...base, status: "ignored" }, settings).attachments[0]!.color, "#a4a8b1");
  });
});
