/**
 * `falco-talon rules schema`: a JSON Schema for rules files, for editor completion and CI
 * checks. It is generated from the schemas the loader reads items with (src/rules/schema.ts;
 * fields read by a transform carry their JSON Schema as metadata there), plus what the
 * loader checks after them: unknown keys, names, the actionner, a rule's actions. Each
 * actionner's and output's parameters come from its own zod schema (if actionner = X then
 * parameters = X's).
 */
import { z } from "zod";
import type { Actionner, Output } from "../plugins/types.js";
import { ACTIONNER_RE, rawActionSchema, rawOutputSchema, rawRuleSchema } from "./schema.js";

type Json = Record<string, unknown>;
type ObjectJson = Json & { properties: Record<string, Json>; required?: string[] };

/** JSON Schema's conditional (`then` is a schema keyword here, not a thenable). */
function ifThen(condition: Json, consequence: Json): Json {
  return {
    if: condition,
    // biome-ignore lint/suspicious/noThenProperty: `then` is JSON Schema's keyword; this object is never awaited.
    then: consequence,
  };
}

function inputSchema(schema: z.ZodType): Json {
  const js = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json;
  delete js.$schema;
  return js;
}

const pluginName = (p: { info: { category: string; name: string } }) => `${p.info.category}:${p.info.name}`;

/** `category:name`, as the loader requires it of an actionner or an output target. */
const nameJson = (description: unknown): Json => ({
  type: "string",
  pattern: ACTIONNER_RE.source,
  description,
});

/**
 * One item schema from the loader's: every map closed (the loader reports unknown keys),
 * actions and outputs given their plug-in's parameters.
 */
function itemSchema(schema: z.ZodType, byActionner: Json[], byOutput: Json[]): ObjectJson {
  const json = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    override: ({ zodSchema, jsonSchema }) => {
      const js = jsonSchema as ObjectJson;
      if (zodSchema._zod.def.type === "object") js.additionalProperties = false;
      if (zodSchema === rawActionSchema) {
        js.properties.actionner = nameJson(js.properties.actionner?.description);
        js.required = ["action"];
        js.allOf = byActionner;
      } else if (zodSchema === rawOutputSchema) {
        js.properties.target = nameJson(js.properties.target?.description);
        js.allOf = byOutput;
      }
    },
  }) as ObjectJson;
  delete json.$schema;
  return json;
}

/** Builds the schema from the registries given (the CLI passes the built-in ones). */
export function rulesJsonSchema(actionners: readonly Actionner[], outputs: readonly Output[]): Json {
  const byActionner = actionners.map((a) =>
    ifThen(
      { properties: { actionner: { const: pluginName(a) } }, required: ["actionner"] },
      { properties: { parameters: inputSchema(a.parameters) } },
    ),
  );
  const byOutput = outputs.map((o) =>
    ifThen(
      { properties: { target: { const: pluginName(o) } }, required: ["target"] },
      { properties: { parameters: inputSchema(o.parameters) } },
    ),
  );
  const definition = itemSchema(rawActionSchema, byActionner, byOutput);
  definition.required = ["action", "actionner"];
  definition.description = "a reusable action";
  const rule = itemSchema(rawRuleSchema, byActionner, byOutput);
  rule.required = ["rule", "actions"];
  // A rule without actions is refused ("no action specified").
  rule.properties.actions = { ...rule.properties.actions, type: "array", minItems: 1 };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://falco-talon.dev/schemas/rules.json",
    title: "Falco Talon rules file",
    type: "array",
    items: { anyOf: [definition, rule] },
  };
}
