// `detect` streams its input (a file or standard input) and writes alerts as it finds them, with
// bounded memory; an EventList document is still read whole.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { describe, it } from "node:test";
import { auditLine } from "../../bench/falco-events.js";
import { runDetect } from "../../src/falco/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const RULES = resolve(ROOT, "../shared/conformance/rules/k8s_audit_rules.yaml");
const FIX = resolve(ROOT, "test/falco/fixtures");
const fixture = (f: string) => JSON.parse(readFileSync(join(FIX, f), "utf8"));
const tmp = mkdtempSync(join(tmpdir(), "falco-stream-"));
const EXEC = JSON.stringify(fixture("exec-pod.json"));
const PRIV = JSON.stringify(fixture("privileged-pod.json"));

async function detect(events: string, stdin?: NodeJS.ReadableStream) {
  const out: string[] = [];
  const code = await runDetect({ rules: [RULES], events, out: (l) => out.push(l), hostname: "h", stdin });
  return { code, out, rules: out.map((l) => (l.startsWith("{") ? JSON.parse(l).rule : l)) };
}

describe("detect input", () => {
  it("standard input (-), in chunks of any size: lines split across chunks, CRLF, multi-byte UTF-8", async () => {
    const ev = fixture("configmap-credentials.json");
    ev.user.username = "zoë"; // not an allowed user: "Disallowed K8s User"
    const text = `${EXEC}\r\n\n${JSON.stringify(ev)}\n${PRIV}`;
    const bytes = Buffer.from(text);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
    const { code, out, rules } = await detect("-", Readable.from(chunks));
    assert.equal(code, 0);
    assert.deepEqual(rules, ["Attach/Exec Pod", "Disallowed K8s User", "Create Privileged Pod"]);
    assert.match(out[1]!, /user=zoë /);
  });

  it("an invalid line is reported with its number and the rest is read", async () => {
    const file = join(tmp, "bad.jsonl");
    writeFileSync(file, `${EXEC}\n{"kind":\n${PRIV}\n`);
    const { code, rules } = await detect(file);
    assert.equal(code, 0);
    assert.equal(rules.length, 3);
    assert.equal(rules[0], "Attach/Exec Pod");
    assert.match(rules[1]!, /^events:2: invalid JSON: /);
    assert.equal(rules[2], "Create Privileged Pod");
  });

  it("an EventList: on one line, or as one multi-line document", async () => {
    const list = {
      kind: "EventList",
      apiVersion: "audit.k8s.io/v1",
      items: [JSON.parse(EXEC), JSON.parse(PRIV)],
    };
    const oneLine = join(tmp, "list.jsonl");
    writeFileSync(oneLine, `${JSON.stringify(list)}\n`);
    const pretty = join(tmp, "list.json");
    writeFileSync(pretty, JSON.stringify(list, null, 2));
    for (const f of [oneLine, pretty]) {
      assert.deepEqual((await detect(f)).rules, ["Attach/Exec Pod", "Create Privileged Pod"], f);
    }
  });

  it("a line over 16 MiB is reported and skipped, not held in memory; the next ones are read", async () => {
    const long = Buffer.from(`{"kind":"Event","x":"${"a".repeat(17 * 1024 * 1024)}"}\n${EXEC}\n`);
    const chunks: Buffer[] = [];
    for (let i = 0; i < long.length; i += 1024 * 1024) chunks.push(long.subarray(i, i + 1024 * 1024));
    const { code, rules } = await detect("-", Readable.from(chunks));
    assert.equal(code, 0);
    assert.deepEqual(rules, ["events:1: line longer than 16 MiB, skipped", "Attach/Exec Pod"]);
  });

  it("a multi-line EventList is read item by item: an item's alert comes before the document ends", async () => {
    const input = new PassThrough();
    const out: string[] = [];
    const done = runDetect({
      rules: [RULES],
      events: "-",
      stdin: input,
      out: (l) => out.push(l),
      hostname: "h",
    });
    const exec = JSON.stringify(JSON.parse(EXEC), null, 2);
    input.write(`{\n  "kind": "EventList",\n  "apiVersion": "audit.k8s.io/v1",\n  "items": [\n${exec},\n`);
    const deadline = Date.now() + 20_000;
    while (out.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(out.length, 1);
    assert.equal(JSON.parse(out[0]!).rule, "Attach/Exec Pod");
    input.end(`${JSON.stringify(JSON.parse(PRIV), null, 2)},\n  42\n  ]\n}\n`);
    assert.equal(await done, 0);
    assert.equal(JSON.parse(out[1]!).rule, "Create Privileged Pod");
    // an item that is not an object: Falco's message, and the rest of the list is not read
    assert.deepEqual(out.slice(2), ["data not recognized as a k8s audit event"]);
  });

  it("a multi-line document cut short, or not JSON: reported", async () => {
    const cut = join(tmp, "cut.json");
    writeFileSync(cut, `{\n  "kind": "EventList",\n  "items": [\n${EXEC},\n`);
    const { code, rules } = await detect(cut);
    assert.equal(code, 0);
    assert.deepEqual(rules, [
      "Attach/Exec Pod",
      "events:4: invalid JSON: the EventList ends before its items do",
    ]);
    // not an EventList read item by item: gathered whole, then each line that is not JSON
    const broken = join(tmp, "broken.json");
    writeFileSync(broken, '{\n  "kind": "Event",\n  "verb": [\n');
    const b = await detect(broken);
    assert.equal(b.rules.length, 3);
    assert.match(b.rules[0]!, /^events:1: invalid JSON: /);
  });

  it("a missing file is an error", async () => {
    const { code, out } = await detect(join(tmp, "nope.jsonl"));
    assert.equal(code, 1);
    assert.match(out[0]!, /^could not read events file: ENOENT/);
  });

  it("each alert is written as soon as its event is read, before the input ends", async () => {
    const input = new PassThrough();
    const out: string[] = [];
    const done = runDetect({
      rules: [RULES],
      events: "-",
      stdin: input,
      out: (l) => out.push(l),
      hostname: "h",
    });
    input.write(`${EXEC}\n`);
    const deadline = Date.now() + 20_000;
    while (out.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(out.length, 1);
    assert.equal(JSON.parse(out[0]!).rule, "Attach/Exec Pod");
    input.end(`${PRIV}\n`);
    assert.equal(await done, 0);
    assert.equal(out.length, 2);
  });
});

/** VmHWM (peak resident set) of a process in MiB, or undefined once it is gone. */
function peakRss(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

describe("detect memory", () => {
  it("200,000 events (270 MB) piped through `detect -e -` stay under 200 MiB of RSS", {
    timeout: 300_000,
  }, async (t) => {
    const COUNT = 200_000;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "detect", "-r", RULES, "-e", "-", "--hostname", "h"],
      { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, RULES_FILES: "" } },
    );
    let alerts = 0;
    let partial = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
      const lines = (partial + d).split("\n");
      partial = lines.pop()!;
      alerts += lines.length;
    });
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, peakRss(child.pid!) ?? 0);
    }, 50);
    const exited = once(child, "exit");
    let bytes = 0;
    let batch = "";
    for (let i = 0; i < COUNT; i++) {
      batch += `${auditLine(i)}\n`;
      if (batch.length < 256 * 1024 && i < COUNT - 1) continue;
      bytes += batch.length;
      // the child reads as fast as it evaluates: backpressure keeps the pipe bounded
      if (!child.stdin.write(batch)) await once(child.stdin, "drain");
      batch = "";
      peak = Math.max(peak, peakRss(child.pid!) ?? 0);
    }
    child.stdin.end();
    // the peak is kept by the kernel: read it once more just before the process ends
    const [code] = await exited;
    clearInterval(sampler);
    assert.equal(code, 0);
    assert.ok(bytes > 250_000_000, `${bytes} bytes`);
    assert.equal(alerts, COUNT / 50);
    t.diagnostic(`peak RSS ${peak.toFixed(0)} MiB for ${(bytes / 1e6).toFixed(0)} MB`);
    assert.ok(peak > 0 && peak < 200, `peak RSS ${peak.toFixed(0)} MiB`);
  });
});
