// Runs every row of the shared parser-cases.json at the Falco 0.44 language level (join/concat/
// getopt transformers, oneof/anyof/allof modifiers). Rows needing libs master only are skipped and counted.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import { astToString, escapeStr, walk } from "../../src/falco/ast.js";
import { compileFilter } from "../../src/falco/compiler.js";
import { fieldTableFor } from "../../src/falco/fields/index.js";
import {
  type FalcoEventCtx,
  type FieldDef,
  MapFieldTable,
  mergeTables,
} from "../../src/falco/fields/types.js";
import { unescapeStr } from "../../src/falco/lexer.js";
import { parseCondition } from "../../src/falco/parser.js";
import { applyTransformer } from "../../src/falco/transformers.js";
import { conditionWarnings } from "../../src/falco/warnings.js";

const CASES = new URL("../../../shared/conformance/parser-cases.json", import.meta.url).pathname;

interface Row {
  id: string;
  kind: string;
  min_version?: string;
  [k: string]: any;
}

/**
 * Known failures at the 0.44 level, each with the reason. Printed in the summary.
 * Keep empty unless a row is deliberately not reproduced.
 */
const KNOWN_FAILURES: Record<string, string> = {};

const rows: Row[] = JSON.parse(readFileSync(CASES, "utf8"));

function isNewer(r: Row): boolean {
  return /^(falco-0\.4[5-9]|falco-0\.[5-9]|unreleased)/.test(r.min_version ?? "");
}

// Mock c.* fields of libsinsp's filter_compiler tests: c.true always compares true with "=1".
const mock = (name: string, type: FieldDef["type"], v: string): FieldDef => ({
  name,
  type,
  extract: () => (type === "bytebuf" ? Buffer.from(v, "latin1") : v),
});
const mockTable = new MapFieldTable([
  mock("c.true", "string", "1"),
  mock("c.false", "string", "0"),
  mock("c.buffer", "bytebuf", "hello"),
  mock("c.singlequote", "string", "hello 'quoted'"),
  mock("c.doublequote", "string", 'hello "quoted"'),
]);
const syscallFields = fieldTableFor("syscall");
const withMock = mergeTables(mockTable, syscallFields);

function ctx(payload: unknown): FalcoEventCtx {
  return { source: "syscall", timeNs: 0n, payload, num: 1n, hostname: "test" };
}

type Check = (r: Row) => void;

const checks: Record<string, Check> = {
  parse(r) {
    const input: string = r.input ?? r.input_repeat.char.repeat(r.input_repeat.count);
    const variants = [input];
    if (r.whitespace_variants) {
      variants.push(` ${input} `, input.replaceAll(" ", "\n"), input.replaceAll(" ", "\t"));
    }
    for (const v of variants) {
      let err: Error | undefined;
      try {
        parseCondition(v);
      } catch (e) {
        err = e as Error;
      }
      if (r.expect === "accept")
        assert.equal(err, undefined, `should accept ${JSON.stringify(v)}: ${err?.message}`);
      else {
        assert.ok(err, `should reject ${JSON.stringify(v)}`);
        if (r.error) assert.equal(err.message, r.error);
      }
    }
  },
  ast_string(r) {
    assert.equal(astToString(parseCondition(r.input)), r.as_string);
  },
  positions(r) {
    let out = "";
    walk(parseCondition(r.input), (n) => {
      out += `${n.kind}${n.pos.idx} ${n.pos.line} ${n.pos.col}`;
    });
    assert.equal(out, r.pos_visitor);
  },
  escape(r) {
    assert.equal(escapeStr(r.raw), r.escaped);
  },
  unescape(r) {
    const got = unescapeStr(r.quoted);
    if (r.error) assert.equal(got, undefined);
    else assert.equal(got, r.unescaped);
  },
  compile(r) {
    const table = String(r.fields).includes("mock") ? withMock : syscallFields;
    let err: Error | undefined;
    let warnings: string[] = [];
    try {
      warnings = compileFilter(parseCondition(r.condition), table).warnings;
    } catch (e) {
      err = e as Error;
    }
    if (r.expect === "ok") {
      assert.equal(err, undefined, `should compile: ${err?.message}`);
      if (r.warnings !== undefined)
        assert.equal(warnings.length, r.warnings, `warnings: ${warnings.join("; ")}`);
    } else {
      assert.ok(err, "should fail to compile");
      if (typeof r.error === "string") assert.equal(err.message, r.error);
    }
  },
  eval(r) {
    const f = compileFilter(parseCondition(r.condition), syscallFields);
    assert.equal(f.evaluate(ctx(r.event)), r.expect);
  },
  eval_mock(r) {
    const f = compileFilter(parseCondition(r.condition), withMock);
    assert.equal(f.evaluate(ctx({})), r.expect);
  },
  transformer(r) {
    assert.deepEqual(applyTransformer(r.transformer, r.input), r.output);
  },
  falco_warning(r) {
    assert.equal(conditionWarnings(parseCondition(r.condition)).length > 0, r.warns);
  },
};

const summary = new Map<string, { passed: number; failed: number; skipped: number; known: number }>();

for (const r of rows) {
  const s = summary.get(r.kind) ?? { passed: 0, failed: 0, skipped: 0, known: 0 };
  summary.set(r.kind, s);
  const check = checks[r.kind];
  if (!check) throw new Error(`no check for case kind ${r.kind}`);
  if (isNewer(r)) {
    s.skipped++;
    continue;
  }
  const known = KNOWN_FAILURES[r.id];
  test(`${r.id} ${r.kind}`, () => {
    try {
      check(r);
      if (known) throw new Error(`${r.id} is listed as a known failure but passes; remove it from the list`);
      s.passed++;
    } catch (e) {
      if (known) {
        s.known++;
        return;
      }
      s.failed++;
      throw e;
    }
  });
}

after(() => {
  const lines = ["Falco 0.44 conformance (parser-cases.json):"];
  let tp = 0;
  let tf = 0;
  let ts = 0;
  for (const [kind, s] of summary) {
    lines.push(
      `  ${kind.padEnd(14)} passed ${String(s.passed).padStart(4)}  failed ${String(s.failed).padStart(3)}  known-failures ${s.known}  skipped-as-newer ${s.skipped}`,
    );
    tp += s.passed;
    tf += s.failed;
    ts += s.skipped;
  }
  lines.push(
    `  ${"total".padEnd(14)} passed ${String(tp).padStart(4)}  failed ${String(tf).padStart(3)}  skipped-as-newer ${ts}`,
  );
  for (const [id, why] of Object.entries(KNOWN_FAILURES)) lines.push(`  known failure ${id}: ${why}`);
  console.log(lines.join("\n"));
});
