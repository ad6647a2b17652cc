import assert from "node:assert/strict";
import { test } from "node:test";
import { getopt, parseOptString } from "./transformers.js";

test("getopt reads short options like getopt(3)", () => {
  const run = (args: string[], opts: string, sel?: string) => getopt(args, parseOptString(opts), sel);
  assert.deepEqual(run(["-nt", "hello"], "nt:"), ["n", "t", "hello"]);
  assert.deepEqual(run(["-thello"], "t:"), ["t", "hello"]);
  // unknown options give "?", a missing value "" (without the option), and `--` or a non-option stops
  assert.deepEqual(run(["-x", "-n"], "n"), ["?", "n"]);
  assert.deepEqual(run(["-t"], "t:"), [""]);
  assert.deepEqual(run(["-n", "--", "-t"], "nt:"), ["n"]);
  assert.deepEqual(run(["-n", "file", "-t"], "nt"), ["n"]);
  // long options are skipped; a leading ':' in the optstring changes nothing here
  assert.deepEqual(run(["--exec", "-n"], "n"), ["n"]);
  assert.deepEqual(run(["-t"], ":t:"), [""]);
  // a selector keeps the last value of that option, undefined when absent
  assert.equal(run(["-t", "v1", "-t", "v2"], "t:", "t"), "v2");
  assert.equal(run(["-n"], "nt:", "t"), undefined);
  assert.equal(run(["-t", "v1", "-t"], "t:", "t"), "");
});
