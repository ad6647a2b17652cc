/**
 * Hostile event values against the real command lines of kubernetes:exec and kubernetes:script
 * (built by the same functions the actionners use), run under dash, bash and busybox sh: in
 * every position a template can use a variable, nothing but the intended command runs and the
 * value arrives byte-exact. Also: unsafe positions are refused when rules are loaded.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { execArgv } from "../../src/actionners/kubernetes/exec/index.js";
import { scriptPayload } from "../../src/actionners/kubernetes/script/index.js";
import { loadValidRules } from "../../src/app/rules.js";

const which = (cmd: string): string => {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  assert.equal(r.status, 0, `${cmd} is not installed (scripts/test.sh installs busybox)`);
  return r.stdout.trim();
};

interface Shell {
  name: string;
  /** How the test starts the exec'd argv: argv[0] (the `shell` parameter) is replaced by this. */
  run: string[];
  /** The `shell` parameter: a path the script wrapper can run the script file with. */
  path: string;
  /** Understands bash's $'…'. */
  ansi: boolean;
}

/** MARK in a value stands for a file that must never be created. */
const VALUES: string[] = [
  "x; touch MARK",
  "$(touch MARK)",
  "`touch MARK`",
  "'; touch MARK; '",
  '"; touch MARK; "',
  "\nEOF\ntouch MARK\nEOF\n",
  "x\n\tEOF\ntouch MARK",
  "$'\\x27'; touch MARK; $'\\x27'",
  "\\x27; touch MARK",
  "\\'; touch MARK; \\'",
  "*",
  "-n",
  "-e x",
  "${IFS}",
  "$IFS$(touch MARK)",
  "a[$(touch MARK)]",
  "a[`touch MARK`]+1",
  "x[$(touch MARK)]=1",
  "${FD_NAME}",
  "__talon_V='x'; touch MARK",
  "|| touch MARK",
  "& touch MARK &",
  "})]}'\"`$;|&<>(){}",
  "\\",
  "a\\b\\\\c\\n\\t\\0\\'",
  "héllo wörld ✓ 🦅 日本語",
  "",
  "  spaced  out  ",
  "tab\there",
  "line1\nline2\n",
  "\r\n",
  "%s%n%d",
  "\u0001\u001b[31m\u007f",
  `${"'; touch MARK; `touch MARK` $(touch MARK) \\'\" ".repeat(700)}`,
];

const hex = (v: string) => Buffer.from(v, "utf8").toString("hex");

interface Position {
  name: string;
  template: string;
  expected: (v: string) => string;
  /** Needs $'…'. */
  ansi?: boolean;
}

/** Each template writes what the value became into `out` (cwd is a fresh folder). */
const POSITIONS: Position[] = [
  { name: "plain word ${V}", template: "printf '%s' ${V} > out", expected: (v) => v },
  { name: "plain word $V", template: "printf '%s' $V > out", expected: (v) => v },
  { name: "inside a word", template: "printf '%s' a${V}b > out", expected: (v) => `a${v}b` },
  { name: '"…"', template: "printf '%s' \"<${V}>\" > out", expected: (v) => `<${v}>` },
  { name: '"$V"', template: "printf '%s' \"$V\" > out", expected: (v) => v },
  { name: "'…'", template: "printf '%s' '<${V}>' > out", expected: (v) => `<${v}>` },
  { name: "'… $V …'", template: "printf '%s' 'a $V b' > out", expected: (v) => `a ${v} b` },
  {
    name: "$(…) in a word",
    template: "printf '%s' $(printf '%s' ${V} | od -An -tx1 | tr -d ' \\n') > out",
    expected: hex,
  },
  { name: '"$(…)"', template: "printf '%s' \"$(printf '%s.' ${V})\" > out", expected: (v) => `${v}.` },
  {
    name: '"$(… "$(…)" …)"',
    template: "printf '%s' \"$(printf '%s' \"$(printf '%s.' \"$V\")\")\" > out",
    expected: (v) => `${v}.`,
  },
  {
    name: "`…` in a word",
    template: "printf '%s' `printf '%s' $V | od -An -tx1 | tr -d ' \\n'` > out",
    expected: hex,
  },
  { name: '"`…`"', template: "printf '%s' \"`printf '%s.' \\\"$V\\\"`\" > out", expected: (v) => `${v}.` },
  {
    name: 'set -- "`…`"',
    template: "set -- \"`printf '%s.' ${V}`\"; printf '%s' \"$1\" > out",
    expected: (v) => `${v}.`,
  },
  { name: "unquoted here-document", template: "cat > out <<EOF\n${V}\nEOF\n", expected: (v) => `${v}\n` },
  {
    name: "here-document <<- with quote characters",
    template: "cat > out <<-EOF\n\t'$V' \"${V}\"\n\tEOF\n",
    expected: (v) => `'${v}' "${v}"\n`,
  },
  {
    name: "here-document inside $(…)",
    template: "printf '%s' \"$(cat <<EOF\n${V}.\nEOF\n)\" > out",
    expected: (v) => `${v}.`,
  },
  { name: "$'…'", template: "printf '%s' $'<\\t${V}>' > out", expected: (v) => `<\t${v}>`, ansi: true },
  { name: "case subject", template: "case ${V} in *) printf '%s' \"$V\" > out;; esac", expected: (v) => v },
  {
    name: "case pattern",
    template: "case x in ${V}) printf bad > out;; *) printf '%s' \"$V\" > out;; esac",
    expected: (v) => v,
  },
  {
    name: 'sh -c … sh "$V" (a positional argument)',
    template: 'sh -c \'printf "%s" "$1" > out\' sh "${V}"',
    expected: (v) => v,
  },
  { name: "function argument", template: "f() { printf '%s' \"$1\" > out; }; f ${V}", expected: (v) => v },
  {
    name: "test operands",
    template: '[ "${V}" = $V ] && [ -n "$V." ] && printf ok > out',
    expected: () => "ok",
  },
  {
    name: "a context key name",
    template: "printf '%s' \"${FALCO-TALON_RULE}\" ${FALCO-TALON_RULE} > out",
    expected: (v) => v + v,
  },
];

interface RunResult {
  status: number | null;
  stderr: string;
}

/**
 * Runs argv with stdin from a file (or /dev/null): a pipe from node is a socket, which makes
 * bash believe it runs under rshd and read ~/.bashrc.
 */
function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv, stdinFile?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const fd = openSync(stdinFile ?? "/dev/null", "r");
    const child = spawn(argv[0] as string, argv.slice(1), { cwd, env, stdio: [fd, "ignore", "pipe"] });
    closeSync(fd);
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stderr }));
  });
}

describe("shell templates: hostile values under dash, bash and busybox sh", () => {
  let scratch: string;
  let shells: Shell[];
  let env: NodeJS.ProcessEnv;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), "talon-corpus-"));
    // busybox picks its applet by argv[0]: a link named `sh` is busybox sh, for the script
    // wrapper's `'<shell>' "$f"`; the wrapper itself is started as `busybox sh`.
    mkdirSync(join(scratch, "busybox"));
    symlinkSync(which("busybox"), join(scratch, "busybox", "sh"));
    shells = [
      { name: "dash", run: [which("dash")], path: which("dash"), ansi: false },
      { name: "bash", run: [which("bash")], path: which("bash"), ansi: true },
      { name: "busybox sh", run: [which("busybox"), "sh"], path: join(scratch, "busybox", "sh"), ansi: true },
    ];
    mkdirSync(join(scratch, "tmp"));
    env = { PATH: process.env["PATH"], TMPDIR: join(scratch, "tmp"), LC_ALL: "C.UTF-8" };
  });
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  let counter = 0;
  /**
   * One run per shell, mode and position: the position's template repeated once per corpus
   * value (variables V_<i> and FALCO-TALON_RULE_<i>, output file out_<i>, marker pwned-<i>).
   */
  async function check(
    shell: Shell,
    mode: "exec" | "script",
    pos: Position,
    corpus: readonly string[] = VALUES,
  ): Promise<void> {
    const dir = join(scratch, `run-${counter++}`);
    mkdirSync(dir);
    const vars = new Map<string, string>();
    const values = corpus.map((raw, i) => raw.replaceAll("MARK", join(dir, `pwned-${i}`)));
    const blocks = values.map((value, i) => {
      vars.set(`V_${i}`, value);
      vars.set(`FALCO-TALON_RULE_${i}`, value);
      return pos.template
        .replaceAll("${V}", `\${V_${i}}`)
        .replace(/\$V(?![A-Za-z0-9_])/g, `$V_${i}`)
        .replaceAll("${FALCO-TALON_RULE}", `\${FALCO-TALON_RULE_${i}}`)
        .replace(/\bout\b/g, `out_${i}`);
    });
    const template = blocks.join("\n");
    let argv: string[];
    let stdinFile: string | undefined;
    if (mode === "exec") {
      argv = execArgv(shell.path, template, vars);
      assert.equal(argv.length, 3);
      assert.equal(argv[0], shell.path);
      assert.equal(argv[1], "-c");
    } else {
      const payload = scriptPayload(shell.path, template, vars);
      argv = payload.command;
      assert.equal(argv[0], shell.path);
      stdinFile = `${dir}.stdin`;
      writeFileSync(stdinFile, payload.stdin);
    }
    const r = await run([...shell.run, ...argv.slice(1)], dir, env, stdinFile);
    const what = `${shell.name} ${mode} [${pos.name}]`;
    const files = readdirSync(dir);
    assert.deepEqual(
      files.filter((f) => f.startsWith("pwned-")).map((f) => values[Number(f.slice(6))]),
      [],
      `${what}: these values ran commands`,
    );
    assert.equal(r.status, 0, `${what}: exit ${r.status}: ${r.stderr}`);
    assert.equal(r.stderr, "", `${what}: stderr`);
    assert.deepEqual(files.sort(), values.map((_, i) => `out_${i}`).sort(), `${what}: files`);
    for (const [i, value] of values.entries()) {
      assert.equal(
        readFileSync(join(dir, `out_${i}`), "utf8"),
        pos.expected(value),
        `${what}: value ${JSON.stringify(value.slice(0, 80))}`,
      );
    }
    rmSync(dir, { recursive: true, force: true });
    if (stdinFile) rmSync(stdinFile);
  }

  for (const shellName of ["dash", "bash", "busybox sh"]) {
    for (const mode of ["exec", "script"] as const) {
      for (const pos of POSITIONS) {
        it(`${shellName} ${mode}: ${pos.name}`, async (t) => {
          const shell = shells.find((s) => s.name === shellName) as Shell;
          if (pos.ansi && !shell.ansi) {
            t.skip(`${shellName} has no $'…'`);
            return;
          }
          await check(shell, mode, pos);
        });
      }
    }
  }

  it("random values (fast-check), every shell and mode, in the main positions", async () => {
    const random = fc
      .sample(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 40 }),
          fc.string({ unit: fc.constantFrom(..."$`'\"\\(){}[];|&<>*?~#!=\n\t -EOFMARK"), maxLength: 30 }),
        ),
        { numRuns: 60, seed: 20_260_101 },
      )
      .map((v) => v.replaceAll("\0", ""));
    const main = POSITIONS.filter((p) =>
      ["plain word ${V}", '"…"', "'… $V …'", '"$(…)"', "unquoted here-document"].includes(p.name),
    );
    for (const shell of shells) {
      for (const mode of ["exec", "script"] as const) {
        for (const pos of main) await check(shell, mode, pos, random);
      }
    }
  });

  it("the script wrapper leaves no temp file behind", () => {
    assert.deepEqual(readdirSync(join(scratch, "tmp")), []);
  });
});

describe("shell templates: unsafe positions are refused when rules load", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "talon-unsafe-"));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const action = (name: string, actionner: string, params: string) =>
    `    - action: ${name}\n      actionner: ${actionner}\n      parameters:\n${params}`;

  it("names the file, line and column, the variable and why", async () => {
    const script = join(dir, "collect.sh");
    writeFileSync(script, '#!/bin/sh\necho start\neval "$PROC_CMDLINE"\n');
    const rules = join(dir, "rules.yaml");
    const actions = [
      action("arith", "kubernetes:exec", "        command: echo $(( ${PROC_PID} + 1 ))\n"),
      action("eval", "kubernetes:exec", '        command: eval "$FD_NAME"\n'),
      action("shc", "kubernetes:exec", '        command: sh -c "cat $FD_NAME"\n'),
      action("let", "kubernetes:exec", "        shell: /bin/bash\n        command: let n=$PROC_PID\n"),
      action(
        "dbl",
        "kubernetes:exec",
        "        shell: /bin/bash\n        command: '[[ $PROC_PID -gt 1 ]] && echo big'\n",
      ),
      action("subscript", "kubernetes:exec", "        command: 'a[$PROC_PID]=1'\n"),
      action("default", "kubernetes:exec", "        command: echo ${FD_NAME:-none}\n"),
      action(
        "heredoc",
        "kubernetes:script",
        "        script: |\n          cat <<'EOF'\n          $FD_NAME\n          EOF\n",
      ),
      action("file", "kubernetes:script", `        file: ${script}\n`),
      action("fine", "kubernetes:exec", '        command: echo "seen $(basename ${FD_NAME})"\n'),
    ];
    writeFileSync(
      rules,
      `- rule: Unsafe templates\n  match:\n    rules:\n      - Terminal shell in container\n  actions:\n${actions.join("")}`,
    );
    const result = await loadValidRules([rules]);
    assert.equal(result.ruleset, undefined);
    const errors = result.errors.join("\n");
    const expect = [
      /rules\.yaml:9:18: .*command'?: the variable PROC_PID \(line 1, column 10\) can't be used here: it is inside arithmetic/,
      /rules\.yaml:13:18: .*the variable FD_NAME \(line 1, column 7\) can't be used here: 'eval' runs its arguments as shell code/,
      /the variable FD_NAME \(line 1, column 12\) can't be used here: 'sh -c' runs its command string as shell code/,
      /the variable PROC_PID \(line 1, column 7\) can't be used here: 'let' is arithmetic/,
      /the variable PROC_PID .*'\[\[ … -eq … \]\]' compares as arithmetic/,
      /the variable PROC_PID .*array subscript/,
      /'\$\{FD_NAME:-none\}' \(line 1, column 6\) is not accepted: '\$\{…\}' takes everything up to the first '\}'/,
      /rules\.yaml:39:17: .*script'?: the variable FD_NAME \(line 2, column 1\) can't be used here: it is in a here-document with a quoted delimiter \(EOF\)/,
      new RegExp(
        `in the file '${script}': the variable PROC_CMDLINE \\(line 3, column 7\\) can't be used here: 'eval'`,
      ),
    ];
    for (const re of expect) assert.match(errors, re);
    assert.equal(result.errors.length, expect.length, errors);
    assert.doesNotMatch(errors, /action 'fine'|basename/);

    // The same through `falco-talon rules check`.
    const cli = spawnSync(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "rules", "check", "-r", rules],
      {
        encoding: "utf8",
      },
    );
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(
      cli.stdout,
      /rules\.yaml:13:18: .*the variable FD_NAME \(line 1, column 7\) can't be used here: 'eval'/,
    );
    assert.match(cli.stdout, /invalid rules/);
  });
});
