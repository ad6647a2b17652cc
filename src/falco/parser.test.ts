import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import { astToString, walk } from "./ast.js";
import { CURRENT_LANGUAGE, FalcoSyntaxError, parseCondition } from "./parser.js";
import { type FalcoRelease, languageOf } from "./releases.js";

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
    "expected a valid check operator: one of 'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch'",
  );
  assert.deepEqual(err("x.y\n  ~ 1").slice(1), [2, 3]);
  // libsinsp's texts: the transformers a value may be, 'val' first
  const transformers = "'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'";
  assert.equal(
    err("x.y > abc")[0],
    `expected a number value or a field with a valid transformer: ${transformers}`,
  );
  assert.equal(
    err("x.y = (")[0],
    `expected a string value or a field with a valid transformer: ${transformers}`,
  );
  assert.equal(
    err("x.y in =")[0],
    `expected a list, an identifier, or a field with a valid transformer: ${transformers}`,
  );
  assert.equal(err("x.y in (a,)")[0], "expected a string value");
  assert.equal(err("x.y in (a b)")[0], "expected a ')' token");
  assert.equal(err("x.y = val(1)")[0], "expected a field within 'val' transformer");
  assert.equal(err("tolower(x.y = a")[0], "expected a ')' token closing the transformer");
  // the last token of an error is a string's unescaped text
  assert.equal(err('x.y = "a b" c')[0], "unexpected token after 'a b', expecting 'or', 'and'");
  assert.deepEqual(err("(".repeat(2000) + "a" + ")".repeat(2000))[0], "exceeded max depth limit of 1000");
});

test("multivalue transformers take several arguments: fields, literals, nested transformers, lists", () => {
  const ast = parseCondition('join("-", (tolower(fd.name), "x", 1)) = a');
  assert.equal(astToString(ast), "join(-,(tolower(fd.name),x,1)) = a");
  assert.equal(
    astToString(parseCondition('getopt(proc.args, "nt:")["t"] = v')),
    "getopt(proc.args,nt:)[t] = v",
  );
  assert.equal(
    astToString(parseCondition("x.y = toupper(concat(a.b, c.d))")),
    "x.y = toupper(concat(a.b,c.d))",
  );
  for (const bad of [
    'join("-", (fd.name,)) = x',
    'join("-", (macro)) = x',
    'join("-", ((a.b))) = x',
    "join() = x",
  ]) {
    assert.throws(() => parseCondition(bad), FalcoSyntaxError, bad);
  }
});

test("oneof/anyof/allof follow a string operator and take a list or a list name", () => {
  assert.equal(astToString(parseCondition("x.y == oneof (a, b)")), "x.y == oneof (a, b)");
  assert.equal(astToString(parseCondition("x.y contains allof my_list")), "x.y contains allof my_list");
  // the word is an ordinary value when nothing list-like follows, or a boolean keyword does
  assert.equal(astToString(parseCondition("x.y = oneof")), "x.y = oneof");
  assert.equal(astToString(parseCondition("x.y = anyof and a")), "(x.y = anyof and a)");
  assert.equal(astToString(parseCondition("x.y = anyof anyof")), "x.y = anyof anyof");
  // a symbol operator needs a blank before the modifier
  assert.throws(() => parseCondition("x.y =oneof (a)"), /unexpected token after 'oneof'/);
  // not after numeric or list operators
  assert.throws(() => parseCondition("x.y > oneof (1)"), FalcoSyntaxError);
  assert.throws(() => parseCondition("x.y in oneof (a)"), FalcoSyntaxError);
});

test("multivalue transformer arguments carry libsinsp's positions", () => {
  // a later argument's position is taken right after the comma; list items share the list's
  let out = "";
  walk(parseCondition('join("-", (a.b, c.d)) = x'), (n) => {
    out += `${n.kind}${n.pos.idx} ${n.pos.line} ${n.pos.col};`;
  });
  assert.equal(
    out,
    "binary0 1 1;transformer0 1 1;value5 1 6;transformer_list9 1 10;field9 1 10;field9 1 10;value24 1 25;",
  );
});

test("'not' words toggle one negation, as libsinsp reads them", () => {
  assert.equal(astToString(parseCondition("not not a")), "a");
  assert.equal(astToString(parseCondition("not not not a")), "not a");
  assert.equal(astToString(parseCondition("not  not(a)")), "a");
  // a parenthesised negation is its own expression
  assert.equal(astToString(parseCondition("not(not a)")), "not not a");
  assert.equal(astToString(parseCondition("notb and not_m")), "(notb and not_m)");
});

describe("an older release's language", () => {
  const fail = (cond: string, release: FalcoRelease): string => {
    try {
      parseCondition(cond, { language: languageOf(release) });
    } catch (e) {
      return (e as Error).message;
    }
    assert.fail(`parsed: ${cond}`);
  };
  it("0.37 has no transformers: its value errors name none", () => {
    assert.equal(fail("proc.name in 'x'", "0.37"), "expected a list or an identifier");
    assert.equal(fail("proc.name = (", "0.37"), "expected a string value");
    assert.equal(fail("proc.pid > x", "0.37"), "expected a number value");
  });
  it("0.43 reads `oneof` as a value and has no transformer `[arg]`", () => {
    assert.deepEqual(
      parseCondition("proc.name = oneof", { language: languageOf("0.43") }),
      parseCondition("proc.name = oneof"),
    );
    assert.equal(
      fail("proc.name = val(proc.pname)[1]", "0.43"),
      "unexpected token after ')', expecting 'or', 'and'",
    );
  });
  it("0.44 is the current language", () => {
    assert.equal(languageOf("0.44"), CURRENT_LANGUAGE);
    assert.doesNotThrow(() =>
      parseCondition("getopt(proc.args, 'ab:')[b] = x and proc.name = anyof (a)", {
        language: languageOf("0.44"),
      }),
    );
  });
});
