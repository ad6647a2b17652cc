import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BooleanWords, YAML_BOOLEANS, yamlBooleanWord } from "./boolean.js";

const CANDIDATES = [
  "true",
  "True",
  "TRUE",
  "tRuE",
  " yes ",
  "Yes",
  "YES",
  "yEs",
  "on",
  "On",
  "oN",
  "y",
  "Y",
  "false",
  "No",
  "OFF",
  "n",
  "",
  " ",
  "1",
  "0",
  "maybe",
  "truely",
  "ttrue",
  "yes\n",
  "\tno",
];

describe("YAML booleans", () => {
  it("reads YAML 1.1's words in lower, Title and UPPER case only", () => {
    for (const w of ["true", "True", "TRUE", "yes", "Yes", "on", "ON", "y", "Y", " On "])
      assert.equal(yamlBooleanWord(w), true, w);
    for (const w of ["false", "False", "NO", "off", "Off", "n", "N"])
      assert.equal(yamlBooleanWord(w), false, w);
    for (const w of ["tRuE", "yEs", "1", "0", "", "maybe"]) assert.equal(yamlBooleanWord(w), undefined, w);
  });

  it("reads any letter case when asked", () => {
    const words = new BooleanWords(["true", "yes"], ["false", "no"], true);
    assert.equal(words.read("tRuE"), true);
    assert.equal(words.read(" nO "), false);
    assert.equal(words.read("on"), undefined);
  });

  it("gives a JSON Schema pattern matching exactly the texts it reads", () => {
    const readers = [
      YAML_BOOLEANS,
      new BooleanWords(["true", "yes"], ["false", "no"], true),
      new BooleanWords(["true", "1"], ["false", "0", ""], true),
    ];
    for (const words of readers) {
      const pattern = new RegExp(words.pattern(), "u");
      for (const text of CANDIDATES) {
        assert.equal(pattern.test(text), words.read(text) !== undefined, JSON.stringify(text));
      }
    }
  });
});
