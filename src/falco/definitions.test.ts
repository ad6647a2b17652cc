import assert from "node:assert/strict";
import { test } from "node:test";
import { quoteItem, substituteList } from "./definitions.js";

test("list substitution is textual, delimited and re-padded", () => {
  assert.deepEqual(substituteList("x in (my_list)", "my_list", ["a", "b"]), ["x in ( a, b )", true]);
  assert.deepEqual(substituteList("x in (my_list, other)", "my_list", ["a"]), ["x in ( a , other)", true]);
  assert.equal(substituteList("x in (my_list_2)", "my_list", ["a"])[1], false);
  // empty list swallows one adjacent comma
  assert.equal(substituteList("x in (a, my_list)", "my_list", [])[0], "x in (a  )");
  assert.equal(quoteItem("a b"), '"a b"');
  assert.equal(quoteItem("'a b'"), "'a b'");
});
