import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Notification } from "../../plugins/types.js";
import smtp, { smtpHtml, smtpSubject } from "./index.js";

const n: Notification = {
  time: "t",
  message: "output",
  status: "ignored",
  rule: "R",
  event: "e",
  priority: "p",
  source: "s",
  action: "A",
  actionner: "kubernetes:log",
  trace_id: "t1",
  objects: { Pod: "p&q" },
};

describe("smtp rendering", () => {
  it("builds the subject, skipping an empty output target", () => {
    assert.equal(smtpSubject(n), "[falco-talon][ignored][output] Action 'A' Rule 'R'");
    assert.equal(
      smtpSubject({ ...n, output_target: "aws:s3" }),
      "[falco-talon][ignored][output] OutputTarget 'aws:s3' Action 'A' Rule 'R'",
    );
  });

  it("escapes html and colours ignored grey", () => {
    const html = smtpHtml(n);
    assert.ok(html.includes("p&amp;q"));
    assert.ok(html.includes("#a4a8b1"));
  });
});

describe("smtp settings", () => {
  it("validates settings", () => {
    assert.equal(smtp.parameters.safeParse({ host_port: "smtp", from: "a", to: "b" }).success, false);
    assert.equal(smtp.parameters.safeParse({ host_port: "smtp:25", from: "a", to: " , " }).success, false);
    const s = smtp.parameters.parse({
      host_port: "127.0.0.1:2525",
      from: "falco@example.com",
      to: "user@example.com",
    });
    assert.equal(s.format, "html");
    assert.equal(s.tls, false);
  });
});
