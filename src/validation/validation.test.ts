import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { unknownKeys } from "./keys.js";
import { closest, didYouMean, editDistance } from "./suggest.js";
import { describeValue, pathText, zodMessages } from "./zod-errors.js";

describe("did you mean", () => {
  test("edit distance counts adjacent swaps as one", () => {
    assert.equal(editDistance("listen_prot", "listen_port"), 1);
    assert.equal(editDistance("matchh", "match"), 1);
    assert.equal(editDistance("", "abc"), 3);
    assert.equal(editDistance("abc", "abc"), 0);
  });

  test("the closest key when it looks like a typo, nothing otherwise", () => {
    const keys = ["grace_period_seconds", "ignore_daemonsets", "ignore_statefulsets", "min_healthy_replicas"];
    assert.equal(closest("grace_period_second", keys), "grace_period_seconds");
    assert.equal(closest("ignoreDaemonsets", keys), "ignore_daemonsets");
    assert.equal(closest("Ignore-StatefulSets", keys), "ignore_statefulsets");
    assert.equal(closest("zzz", keys), undefined);
    assert.equal(closest("level", ["labels", "level"]), undefined, "a known key has no suggestion");
    assert.equal(didYouMean("matchh", ["rule", "match", "actions"]), ", did you mean 'match'?");
    assert.equal(
      didYouMean("contexts", ["additional_contexts"], { contexts: "additional_contexts" }),
      ", did you mean 'additional_contexts'?",
    );
    assert.equal(didYouMean("qqq", ["rule"]), "");
  });
});

describe("unknown keys against a zod shape", () => {
  test("through pipes, transforms, preprocess, defaults, refinements, unions and nested objects", () => {
    const inner = z.object({ a: z.string(), nested: z.object({ deep: z.number() }).optional() });
    const schemas = [
      inner,
      inner.transform((v) => v),
      z.preprocess((v) => v, inner),
      inner.superRefine(() => {}),
      inner.default({ a: "x" }),
      inner.optional().nullable(),
      z.union([inner, z.object({ b: z.string() })]),
    ];
    for (const s of schemas) {
      const found = unknownKeys(s, { a: "x", nsted: 1, nested: { deep: 1, deeep: 2 } });
      assert.deepEqual(
        found.map((u) => [pathText(u.path), u.suggestion]),
        [
          ["nsted", "nested"],
          ["nested.deeep", "deep"],
        ],
      );
    }
  });

  test("loose objects, records and lists of objects", () => {
    assert.deepEqual(unknownKeys(z.looseObject({ a: z.string() }), { b: 1 }), []);
    assert.deepEqual(unknownKeys(z.record(z.string(), z.string()), { b: "1" }), []);
    const list = z.object({ items: z.array(z.object({ name: z.string() })).default([]) });
    assert.deepEqual(
      unknownKeys(list, { items: [{ name: "a" }, { nme: "b" }] }).map((u) => pathText(u.path)),
      ["items[1].nme"],
    );
  });
});

describe("zod issues as messages", () => {
  const messages = (schema: z.ZodType, value: unknown, prefix: string[] = []) => {
    const r = schema.safeParse(value);
    assert.equal(r.success, false);
    return zodMessages(r.error!, value, prefix);
  };

  test("enumerations list their allowed values", () => {
    const s = z.object({ level: z.enum(["pod", "node"]).default("pod") });
    assert.deepEqual(messages(s, { level: "container" }, ["parameters"]), [
      "parameters.level: invalid value 'container', expected one of: pod, node",
    ]);
    assert.deepEqual(messages(z.literal("x"), "y"), ["invalid value 'y', expected 'x'"]);
  });

  test("types, sizes, formats: what was expected and what was got", () => {
    const s = z.object({
      n: z.coerce.number().int(),
      i: z.number().int(),
      min: z.number().min(1),
      max: z.number().max(5),
      text: z.string().min(1),
      list: z.array(z.string()).min(2),
      re: z.string().regex(/^a+$/),
      url: z.url(),
      required: z.string(),
      map: z.object({}),
    });
    assert.deepEqual(
      messages(s, {
        n: "abc",
        i: 1.5,
        min: 0,
        max: 7,
        text: "",
        list: ["a"],
        re: "b",
        url: "nope",
        map: [1],
      }),
      [
        "n: expected a number, got 'abc'",
        "i: expected an integer, got 1.5",
        "min: expected a number >= 1, got 0",
        "max: expected a number <= 5, got 7",
        "text: must not be empty",
        "list: expected at least 2 items, got 1 item",
        "re: 'b' does not match the pattern /^a+$/",
        "url: expected a valid URL, got 'nope'",
        "required: is required (expected a string)",
        "map: expected a map, got a list",
      ],
    );
  });

  test("unions report the branch the value was meant for, or the accepted types", () => {
    const int = z
      .union([z.number(), z.string().regex(/^\d+$/, "expected an integer").transform(Number)])
      .pipe(z.number().min(0));
    assert.deepEqual(messages(int, "abc"), ["expected an integer, got 'abc'"]);
    assert.deepEqual(messages(int, true), ["expected a number or a string, got true"]);
    assert.deepEqual(messages(int, -1), ["expected a number >= 0, got -1"]);
    const custom = z.union([z.boolean(), z.number()], { error: "expected a flag" });
    assert.deepEqual(messages(custom, "x"), ["expected a flag, got 'x'"]);
  });

  test("custom issues keep the author's message; zod's bare defaults are replaced", () => {
    const s = z.object({
      a: z.string().refine(() => false, { message: "'a' is wrong" }),
      b: z.string().refine(() => false),
      c: z.unknown().transform((_v, ctx) => {
        ctx.addIssue({ code: "custom", message: "no c here" });
        return z.NEVER;
      }),
    });
    assert.deepEqual(messages(s, { a: "x", b: "y", c: 1 }), [
      "a: 'a' is wrong",
      "b: invalid value 'y'",
      "c: no c here",
    ]);
  });

  test("values read in messages", () => {
    assert.equal(describeValue("abc"), "'abc'");
    assert.equal(describeValue(undefined), "nothing");
    assert.equal(describeValue([]), "an empty list");
    assert.equal(describeValue({ a: 1 }), "a map");
    assert.equal(describeValue(3), "3");
    assert.equal(pathText(["labels", "app.kubernetes.io/name"]), 'labels["app.kubernetes.io/name"]');
    assert.equal(pathText(["actions", 0, "parameters"]), "actions[0].parameters");
  });
});
