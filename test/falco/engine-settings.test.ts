// Falco's engine settings (rule_matching, priority, time_format_iso_8601, json_include_*,
// buffered_outputs) and the Falco release the loader reproduces, in config and as `detect` flags.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import {
  type FalcoRelease,
  formatProblem,
  loadFalcoRulesFromStrings,
  runDetect,
} from "../../src/falco/index.js";
import type { FalcoSettings } from "../../src/falco/settings.js";

const ROOT = resolve(import.meta.dirname, "../..");
const RULES = resolve(ROOT, "../shared/conformance/rules/k8s_audit_rules.yaml");
const FIX = resolve(ROOT, "test/falco/fixtures");
const tmp = mkdtempSync(join(tmpdir(), "falco-settings-"));
const line = (f: string) => JSON.stringify(JSON.parse(readFileSync(join(FIX, f), "utf8")));
const EVENTS = join(tmp, "events.jsonl");
writeFileSync(
  EVENTS,
  `${["exec-pod.json", "configmap-credentials.json", "privileged-pod.json"].map(line).join("\n")}\n`,
);

async function detect(settings: Partial<FalcoSettings>, events = EVENTS) {
  const out: string[] = [];
  const code = await runDetect({ rules: [RULES], events, out: (l) => out.push(l), hostname: "h", settings });
  return { code, lines: out, alerts: out.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)) };
}

const cliWith = (env: Record<string, string>, ...args: string[]) => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "detect", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, RULES_FILES: "", LOG_FORMAT: "", ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const cli = (...args: string[]) => cliWith({}, ...args);
/** The alerts `detect` printed, one JSON line each. */
const printedAlerts = (out: string) =>
  out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

describe("detect without a config file", () => {
  it("reads the falco section's variables (FALCO_HOSTNAME, FALCO_RULES_FILES)", () => {
    const r = cliWith({ FALCO_HOSTNAME: "from-env", FALCO_RULES_FILES: RULES }, "-e", EVENTS);
    assert.equal(r.code, 0, r.err);
    const alerts = printedAlerts(r.out);
    assert.equal(alerts.length, 3);
    for (const a of alerts) assert.equal(a.hostname, "from-env");
  });
  it("a wrong value in a falco variable is an error naming it", () => {
    const r = cliWith({ FALCO_RULE_MATCHING: "some" }, "-r", RULES, "-e", EVENTS);
    assert.equal(r.code, 1);
    assert.match(r.err, /env FALCO_RULE_MATCHING: /);
  });
  it("with no falco variable, Falco's defaults: the first matching rule, the machine's host name", () => {
    const r = cliWith({ FALCO_HOSTNAME: "" }, "-r", RULES, "-e", EVENTS);
    assert.equal(r.code, 0, r.err);
    const alerts = printedAlerts(r.out);
    assert.equal(alerts.length, 3);
    assert.equal(alerts[0].hostname, hostname());
  });
});

describe("rule_matching", () => {
  it("first: one alert per event; all: every matching rule, in rules-file order", async () => {
    const first = await detect({});
    assert.deepEqual(
      first.alerts.map((a) => a.rule),
      ["Attach/Exec Pod", "Create/Modify Configmap With Private Credentials", "Create Privileged Pod"],
    );
    const all = await detect({ ruleMatching: "all" });
    assert.deepEqual(
      all.alerts.map((a) => a.rule),
      [
        "Attach/Exec Pod",
        "Create/Modify Configmap With Private Credentials",
        "K8s ConfigMap Created",
        "Create Privileged Pod",
      ],
    );
  });
});

describe("priority", () => {
  it("rules less severe than the minimum are not loaded (Notice and Informational below warning)", async () => {
    const { alerts } = await detect({ minPriority: "Warning", ruleMatching: "all" });
    assert.deepEqual(
      alerts.map((a) => `${a.priority} ${a.rule}`),
      ["Warning Create/Modify Configmap With Private Credentials", "Warning Create Privileged Pod"],
    );
  });
});

describe("time_format_iso_8601", () => {
  it("the output's time prefix and its output_fields key", async () => {
    const isoRun = await detect({ timeFormatIso8601: true });
    const iso = isoRun.alerts[0];
    // the exact ns integer (past 2^53) in the JSON line
    assert.match(isoRun.lines[0]!, /"output_fields":\{"evt\.time\.iso8601":1795169730130000123,/);
    assert.match(iso.output, /^2026-11-20T10:15:30\.130000123\+0000: Notice Attach\/Exec to pod /);
    assert.ok(iso.output_fields["evt.time.iso8601"] > 1.7e18);
    assert.equal(iso.output_fields["evt.time"], undefined);
    const local = (await detect({})).alerts[0];
    assert.match(local.output, /^\d\d:\d\d:30\.130000123: Notice Attach\/Exec to pod /);
    assert.equal(local.output_fields["evt.time.iso8601"], undefined);
    // `time` is always ISO 8601 UTC
    assert.equal(iso.time, "2026-11-20T10:15:30.130000123Z");
    assert.equal(local.time, iso.time);
  });
});

describe("json_include_output_property, json_include_tags_property", () => {
  it("each drops its key from the JSON alert; the others keep Falco's order", async () => {
    const keys = async (s: Partial<FalcoSettings>) => {
      const { lines } = await detect(s);
      return Object.keys(JSON.parse(lines[0]!));
    };
    assert.deepEqual(await keys({}), [
      "hostname",
      "output",
      "output_fields",
      "priority",
      "rule",
      "source",
      "tags",
      "time",
    ]);
    assert.deepEqual(await keys({ jsonIncludeOutputProperty: false }), [
      "hostname",
      "output_fields",
      "priority",
      "rule",
      "source",
      "tags",
      "time",
    ]);
    assert.deepEqual(await keys({ jsonIncludeTagsProperty: false }), [
      "hostname",
      "output",
      "output_fields",
      "priority",
      "rule",
      "source",
      "time",
    ]);
  });
});

describe("buffered_outputs", () => {
  const events = readFileSync(EVENTS, "utf8").trim().split("\n");
  /** detect on a live pipe: each event written on its own, `step` after each; the writes to stdout. */
  const live = async (bufferedOutputs: boolean, step: (chunks: string[], sent: number) => Promise<void>) => {
    const chunks: string[] = [];
    const output = new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    const stdin = new PassThrough();
    const done = runDetect({
      rules: [RULES],
      events: "-",
      stdin,
      output,
      hostname: "h",
      settings: { bufferedOutputs },
    });
    for (let i = 0; i < events.length; i++) {
      stdin.write(`${events[i]}\n`);
      await step(chunks, i + 1);
    }
    stdin.end();
    assert.equal(await done, 0);
    return chunks;
  };
  const until = async (cond: () => boolean) => {
    for (let t = 0; t < 200 && !cond(); t++) await new Promise((r) => setTimeout(r, 10));
    return cond();
  };

  it("unbuffered (Falco's default): each alert is written as soon as its event is read", async () => {
    const chunks = await live(false, async (chunks, sent) => {
      assert.ok(await until(() => chunks.join("").split("\n").length - 1 === sent), `alert ${sent} written`);
    });
    assert.equal(chunks.length, 3);
    for (const c of chunks) assert.match(c, /^\{.*\}\n$/);
  });
  it("unbuffered: the alerts of one batch of input go out in one write", async () => {
    const chunks: string[] = [];
    const output = new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    assert.equal(await runDetect({ rules: [RULES], events: EVENTS, output, hostname: "h" }), 0);
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]!.split("\n").length, 4);
  });
  it("buffered: alerts gathered until the end (or 64 KiB)", async () => {
    const chunks = await live(true, async (chunks) => {
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(chunks.length, 0);
    });
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]!.split("\n").length, 4);
  });
});

describe("engine_version: rules checked as a given Falco release", () => {
  const rule = (extra: string) =>
    `- required_engine_version: 0.50.0\n- rule: r\n  desc: d\n  condition: ${extra}\n  output: o %evt.dir\n  priority: WARNING\n`;
  const load = (content: string, release?: FalcoRelease) =>
    loadFalcoRulesFromStrings([{ path: "r.yaml", content }], { release }).problems.map(formatProblem);

  it("required_engine_version against that release's engine version", () => {
    assert.deepEqual(load(rule("evt.type = open"), "0.40"), [
      "r.yaml:1:3: error LOAD_ERR_VALIDATE: Rules require engine version 0.50.0, but engine version is 0.46.0",
    ]);
    assert.deepEqual(load(rule("evt.type = open"), "0.41"), []);
  });

  it("the evt.dir deprecation warnings only from 0.42, with 0.42's texts", () => {
    const cond = rule("evt.type = open and evt.dir = <");
    assert.deepEqual(load(cond, "0.41"), []);
    // Falco checks the output before the condition
    assert.deepEqual(load(cond, "0.42"), [
      "r.yaml:2:3: warning LOAD_DEPRECATED_ITEM: usage of deprecated field 'evt.dir' has been detected in the rule output",
      "r.yaml:4:3: warning LOAD_DEPRECATED_ITEM: due to the drop of enter events, 'evt.dir = <' always evaluates to true, and 'evt.dir = >' always evaluates to false. The rule expression can be simplified by removing the condition on 'evt.dir'",
    ]);
    assert.deepEqual(load(cond, "0.44"), load(cond, "0.42"));
  });

  it("the evt.latency fields and evt.wait_latency warn from 0.43, each once", () => {
    const cond = rule(
      "evt.type = read and evt.latency > 10 and evt.wait_latency > 1 and evt.latency.ns > 0",
    ).replace("o %evt.dir", "o %evt.latency.human");
    assert.deepEqual(load(cond, "0.42"), []);
    const desc = "field is not available due to the drop of enter events.";
    assert.deepEqual(load(cond, "0.43"), [
      "r.yaml:2:3: warning LOAD_DEPRECATED_ITEM: usage of deprecated field 'evt.latency' has been detected in the rule output",
      "r.yaml:2:3: warning LOAD_DEPRECATED_ITEM: usage of deprecated field 'evt.latency.human' has been detected in the rule output",
      `r.yaml:4:3: warning LOAD_DEPRECATED_ITEM: ${desc}`,
      `r.yaml:4:3: warning LOAD_DEPRECATED_ITEM: ${desc}`,
      `r.yaml:4:3: warning LOAD_DEPRECATED_ITEM: ${desc}`,
    ]);
  });

  it("the default is the release this engine implements: 0.44", () => {
    const cond = rule("evt.type = read and evt.latency > 10 and proc.name = oneof (a, b)");
    assert.deepEqual(load(cond), load(cond, "0.44"));
    assert.equal(load(cond).length, 2);
  });

  it("a release parses conditions with its own language: what it lacks is its parse error", () => {
    const cases: [string, FalcoRelease, string][] = [
      // modifiers (0.44): `oneof` is a bare value, the list after it is unexpected
      ["proc.name = oneof (a, b)", "0.43", "unexpected token after 'oneof', expecting 'or', 'and'"],
      // multivalue transformers (0.44): `join` is not a transformer, so an identifier
      [
        "join(',', (proc.name, proc.pname)) = x",
        "0.43",
        "unexpected token after 'join', expecting 'or', 'and'",
      ],
      // a bare value stops at "("
      [
        "proc.name = concat(proc.pname, 'x')",
        "0.42",
        "unexpected token after 'concat', expecting 'or', 'and'",
      ],
      // a transformer takes one field or transformer before 0.44
      [
        "tolower('X') = x",
        "0.43",
        "expected a field or a nested valid transformer: 'val', 'tolower', 'toupper', 'b64', 'basename', 'len'",
      ],
      ["tolower(proc.name, proc.pname) = x", "0.43", "expected a ')' token closing the transformer"],
      // len (0.40), basename (0.39), val and the first transformers (0.38)
      ["len(proc.name) > 3", "0.39", "unexpected token after 'len', expecting 'or', 'and'"],
      [
        "evt.num > len(proc.name)",
        "0.39",
        "expected a number value or a field with a valid transformer: 'val', 'tolower', 'toupper', 'b64', 'basename'",
      ],
      ["basename(proc.exe) = sh", "0.38", "unexpected token after 'basename', expecting 'or', 'and'"],
      ["proc.name = val(proc.pname)", "0.37", "unexpected token after 'val', expecting 'or', 'and'"],
      ["proc.pid > val(proc.ppid)", "0.37", "expected a number value"],
      ["proc.name in val(proc.pname)", "0.37", "unexpected token after 'val', expecting 'or', 'and'"],
      ["proc.name in tolower(proc.pname)", "0.37", "unexpected token after 'tolower', expecting 'or', 'and'"],
    ];
    for (const [cond, release, msg] of cases) {
      const got = load(
        `- rule: r\n  desc: d\n  condition: ${cond}\n  output: o\n  priority: WARNING\n`,
        release,
      );
      assert.equal(got.length, 1, `${cond} as ${release}: ${got.join("; ")}`);
      assert.match(got[0]!, /^r\.yaml:3:\d+: error LOAD_ERR_COMPILE_CONDITION: /, cond);
      assert.equal(got[0]!.replace(/^.*?LOAD_ERR_COMPILE_CONDITION: /, ""), msg, `${cond} as ${release}`);
      // 0.44 has every feature (a transformer of two fields is still refused, by the compiler)
      if (cond.startsWith("tolower(proc.name,")) continue;
      assert.deepEqual(
        load(
          `- rule: r\n  desc: d\n  condition: evt.type = open and ${cond}\n  output: o\n  priority: WARNING\n`,
          "0.44",
        ).filter((p) => p.includes("error")),
        [],
        `${cond} as 0.44`,
      );
    }
  });

  it("the deprecated `append: true` warns in every release", () => {
    const appended = "- list: l\n  items: [a]\n- list: l\n  items: [b]\n  append: true\n";
    for (const release of ["0.40", "0.42"] as const) {
      assert.deepEqual(
        load(appended, release).filter((p) => p.includes("DEPRECATED")),
        [
          "r.yaml:3:3: warning LOAD_DEPRECATED_ITEM: 'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
        ],
      );
    }
  });

  it("detect --engine-version: a release, a patch release, an unsupported one", () => {
    const dir = mkdtempSync(join(tmpdir(), "falco-release-"));
    const rules = join(dir, "r.yaml");
    writeFileSync(
      rules,
      rule("ka.verb = create")
        .replace("priority: WARNING", "priority: WARNING\n  source: k8s_audit")
        .replace(" %evt.dir", ""),
    );
    const old = cli("--falco-rules", rules, "-e", EVENTS, "--engine-version", "0.40.0");
    assert.equal(old.code, 1);
    assert.equal(
      old.out,
      `${rules}:1:3: error LOAD_ERR_VALIDATE: Rules require engine version 0.50.0, but engine version is 0.46.0\n`,
    );
    const ok = cli("--falco-rules", rules, "-e", EVENTS, "--engine-version", "0.41.2", "--hostname", "h");
    assert.equal(ok.code, 0, ok.err);
    // exec is a create too (of pods/exec)
    assert.equal(ok.out.trim().split("\n").length, 3);
    const bad = cli("--falco-rules", rules, "-e", EVENTS, "--engine-version", "0.36");
    assert.equal(bad.code, 1);
    assert.match(
      bad.err,
      /^error: option '--engine-version <release>' argument '0\.36' is invalid\. unsupported Falco release '0\.36': supported releases are 0\.37, 0\.38, 0\.39, 0\.40, 0\.41, 0\.42, 0\.43, 0\.44 \(a patch release such as 0\.42\.1 counts as its release\)$/m,
    );
  });
});

describe("rules check --falco as a given release", () => {
  it("--engine-version, else the config's falco.engine_version, else 0.42", () => {
    const rules = join(tmp, "dir.yaml");
    writeFileSync(
      rules,
      "- required_engine_version: 0.50.0\n- rule: r\n  desc: d\n  condition: evt.type = open and evt.dir = <\n  output: o\n  priority: WARNING\n",
    );
    const check = (...args: string[]) => {
      const r = spawnSync(
        process.execPath,
        ["--import", "tsx", "src/cli/main.ts", "rules", "check", "--falco", "-r", rules, ...args],
        {
          cwd: ROOT,
          encoding: "utf8",
          env: { ...process.env, RULES_FILES: "", LOG_FORMAT: "" },
        },
      );
      return { code: r.status, out: r.stdout };
    };
    const now = check();
    assert.equal(now.code, 0);
    assert.equal(
      now.out,
      `${rules}:4:3: warning LOAD_DEPRECATED_ITEM: due to the drop of enter events, 'evt.dir = <' always evaluates to true, and 'evt.dir = >' always evaluates to false. The rule expression can be simplified by removing the condition on 'evt.dir'\nrules file valid\n`,
    );
    assert.deepEqual(check("--engine-version", "0.41"), { code: 0, out: "rules file valid\n" });
    const cfg = join(tmp, "release.yaml");
    writeFileSync(cfg, 'falco:\n  engine_version: "0.40"\n');
    assert.deepEqual(check("-c", cfg), {
      code: 1,
      out: `${rules}:1:3: error LOAD_ERR_VALIDATE: Rules require engine version 0.50.0, but engine version is 0.46.0\n`,
    });
  });
});

describe("detect flags and the config's falco section", () => {
  it("flags override the config; the config's settings apply otherwise", () => {
    const cfg = join(tmp, "config.yaml");
    writeFileSync(
      cfg,
      `falco:\n  rules_files: [${RULES}]\n  hostname: from-config\n  rule_matching: all\n  json_include_tags_property: false\n  priority: notice\n`,
    );
    const fromConfig = cli("-c", cfg, "-e", EVENTS);
    assert.equal(fromConfig.code, 0, fromConfig.err);
    const alerts = fromConfig.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    // notice and above: K8s ConfigMap Created (informational) is not loaded
    assert.deepEqual(
      alerts.map((a) => a.rule),
      ["Attach/Exec Pod", "Create/Modify Configmap With Private Credentials", "Create Privileged Pod"],
    );
    assert.equal(alerts[0].hostname, "from-config");
    assert.equal(alerts[0].tags, undefined);
    const flagged = cli(
      "-c",
      cfg,
      "-e",
      EVENTS,
      "--rule-matching",
      "first",
      "--json-include-tags-property",
      "--no-json-include-output-property",
      "--priority",
      "WARNING",
    );
    assert.equal(flagged.code, 0, flagged.err);
    const f = flagged.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      f.map((a) => a.rule),
      ["Create/Modify Configmap With Private Credentials", "Create Privileged Pod"],
    );
    assert.deepEqual(f[0].tags, ["k8s"]);
    assert.equal(f[0].output, undefined);
  });

  it("no rules at all is an error", () => {
    const r = cli("-e", EVENTS);
    assert.equal(r.code, 2);
    assert.equal(
      r.out,
      "error: no Falco rules: pass -r/--falco-rules or set falco.rules_files in the configuration\n",
    );
  });

  it("a bad flag value is an error naming the flag, with Falco's text", () => {
    const r = cli("--falco-rules", RULES, "-e", EVENTS, "--rule-matching", "any");
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /^error: option '--rule-matching <mode>' argument 'any' is invalid\. Unknown rule matching strategy "any"--must be one of first, all$/m,
    );
    const p = cli("--falco-rules", RULES, "-e", EVENTS, "--priority", "warn");
    assert.match(
      p.err,
      /^error: option '--priority <level>' argument 'warn' is invalid\. Unknown priority "warn"--must be one of emergency, alert, critical, error, warning, notice, informational, debug$/m,
    );
  });

  it("config values are validated: file:line:col, Falco's texts, typos are errors", () => {
    const p = join(tmp, "bad.yaml");
    writeFileSync(
      p,
      "falco:\n  rule_matching: any\n  priority: warn\n  engine_version: 0.40\n  buffered_outputs: maybe\n  json_include_output_propery: false\n",
    );
    assert.throws(
      () => loadConfig({ file: p, env: {} }),
      (e: ConfigError) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.problems.slice(0, 4), [
          `${p}:2:18: falco.rule_matching: Unknown rule matching strategy "any"--must be one of first, all`,
          `${p}:3:13: falco.priority: Unknown priority "warn"--must be one of emergency, alert, critical, error, warning, notice, informational, debug`,
          `${p}:4:19: falco.engine_version: expected a Falco release as a string such as "0.42", got 0.4 (quote it: YAML reads 0.40 as the number 0.4)`,
          `${p}:5:21: falco.buffered_outputs: expected a boolean (true or false), got 'maybe'`,
        ]);
        return true;
      },
    );
    // a misspelt key is reported, with the key it resembles
    const typo = join(tmp, "typo.yaml");
    writeFileSync(typo, "falco:\n  json_include_output_propery: false\n");
    assert.match(
      loadConfig({ file: typo, env: {} }).warnings.join("\n"),
      /unknown key 'falco\.json_include_output_propery'.*json_include_output_property/,
    );
    const unsupported = join(tmp, "unsupported.yaml");
    writeFileSync(unsupported, 'falco:\n  engine_version: "0.45"\n');
    assert.throws(
      () => loadConfig({ file: unsupported, env: {} }),
      (e: ConfigError) => {
        assert.deepEqual(e.problems, [
          `${unsupported}:2:19: falco.engine_version: unsupported Falco release '0.45': supported releases are 0.37, 0.38, 0.39, 0.40, 0.41, 0.42, 0.43, 0.44 (a patch release such as 0.42.1 counts as its release)`,
        ]);
        return true;
      },
    );
    const ok = loadConfig({ env: { FALCO_ENGINE_VERSION: "0.41", FALCO_PRIORITY: "info" } });
    assert.equal(ok.config.falco.engine_version, "0.41");
    assert.equal(ok.config.falco.priority, "info");
  });
});
