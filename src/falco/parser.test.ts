import assert from "node:assert/strict";
import { test } from "node:test";
import { astToString } from "./ast.js";
import { FalcoSyntaxError, parseCondition } from "./parser.js";

test("precedence: not > and > or, macros behave as identifiers", () => {
  assert.equal(astToString(parseCondition("a or b and not c")), "(a or (b and not c))");
  assert.equal(astToString(parseCondition("x.y in (a, 'b c') and m")), '(x.y in (a, "b c") and m)');
  assert.equal(astToString(parseCondition("x.y existsand m")), "(x.y exists and m)");
  assert.equal(astToString(parseCondition("x.y inbash")), "x.y in bash");
});

test("errors carry Falco's messages and positions", () => {
  const err = (s: string) => {
    try {
      parseCondition(s);
    } catch (e) {
      assert.ok(e instanceof FalcoSyntaxError);
      return [e.message, e.pos.line, e.pos.col];
    }
    assert.fail(`accepted ${s}`);
  };
  assert.deepEqual(err(""), ["filter input string is empty", 1, 1]);
  assert.deepEqual(err("a and b not"), ["unexpected token after 'b', expecting 'or', 'and'", 1, 9]);
  assert.deepEqual(err("(a"), ["expected a ')' token", 1, 3]);
  assert.deepEqual(err("a andb"), ["expected blank or '(' after 'and'", 1, 6]);
  assert.deepEqual(
    err("x.y\n  ~ 1")[0],
    "expected a valid check operator: one of '!=', '<', '<=', '=', '==', '>', '>=', 'bcontains', 'bstartswith', 'contains', 'endswith', 'exists', 'glob', 'icontains', 'iglob', 'in', 'intersects', 'pmatch', 'regex', 'startswith'",
  );
  assert.deepEqual(err("x.y\n  ~ 1").slice(1), [2, 3]);
  assert.equal(
    err("x.y > abc")[0]!.toString().startsWith("expected a number value or a field with a valid transformer"),
    true,
  );
  assert.deepEqual(err("(".repeat(2000) + "a" + ")".repeat(2000))[0], "exceeded max depth limit of 1000");
});
