import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { commandHits, subscriptHits, type Word } from "./shell-rules.js";

/** Words from a simple space-separated spec; `$X` stands for a template variable. */
function words(spec: string): Word[] {
  return spec.split(" ").map((w, i) => {
    const at = w.indexOf("$X");
    return at < 0
      ? { lit: w, refs: [] }
      : { lit: w.replace("$X", "\0"), refs: [{ name: "X", offset: i, at }] };
  });
}
const reasons = (spec: string) => commandHits(words(spec)).map((h) => h.reason);

describe("commandHits", () => {
  it("flags code-running commands behind assignments and wrappers", () => {
    assert.match(reasons("eval $X")[0] ?? "", /eval/);
    assert.match(reasons("A=1 command eval $X")[0] ?? "", /eval/);
    assert.match(reasons("env -i B=2 bash -c $X")[0] ?? "", /'bash -c'/);
    assert.match(reasons("xargs -n 1 sh -c $X")[0] ?? "", /'sh -c'/);
    assert.match(reasons("/usr/bin/eval $X")[0] ?? "", /eval/);
  });
  it("lets values through as data", () => {
    assert.deepEqual(reasons("sh -c code sh $X"), []);
    assert.deepEqual(reasons("echo eval $X"), []);
    assert.deepEqual(reasons("declare a=$X"), []);
    assert.deepEqual(reasons("read -p $X line"), []);
    assert.deepEqual(reasons("printf -v out %s $X"), []);
  });
  it("flags names and arithmetic", () => {
    assert.match(reasons("declare $X=1")[0] ?? "", /variable name/);
    assert.match(reasons("printf -v $X %s y")[0] ?? "", /variable name/);
    assert.match(reasons("[[ $X -gt 2 ]]")[0] ?? "", /arithmetic/);
  });
  it("subscriptHits finds variables between name[ and ]=", () => {
    assert.equal(subscriptHits(words("a[$X]=1")[0] as Word).length, 1);
    assert.equal(subscriptHits(words("a[1]=$X")[0] as Word).length, 0);
    assert.equal(subscriptHits(words("[$X]=v")[0] as Word).length, 1);
  });
});
