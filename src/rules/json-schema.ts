/**
 * `falco-talon rules schema`: a JSON Schema for rules files, for editor completion and CI
 * checks. The file layout comes from a zod description of the format; each actionner's and
 * output's parameters come from its own zod schema (if actionner = X then parameters = X's).
 */
import { z } from "zod";
import type { Actionner, Output } from "../plugins/types.js";

const yamlBoolean = z
  .union([z.boolean(), z.enum(["true", "false", "True", "False", "TRUE", "FALSE", "yes", "no"])])
  .describe("true or false");

const parameters = z.record(z.string(), z.unknown()).describe("actionner-specific parameters");

const output = z
  .object({
    target: z
      .string()
      .regex(/^[a-z0-9]+:[a-z0-9]+$/)
      .describe("output `category:name`, e.g. local:file"),
    parameters: z.record(z.string(), z.unknown()).describe("output-specific parameters"),
  })
  .describe("where the actionner's artifact goes");

const actionFields = {
  description: z.string().optional(),
  actionner: z
    .string()
    .regex(/^[a-z0-9]+:[a-z0-9]+$/)
    .describe("`category:name`, e.g. kubernetes:terminate"),
  continue: yamlBoolean.optional().describe("run the rule's next actions after this one"),
  ignore_errors: yamlBoolean.optional().describe("continue even when this action fails"),
  parameters: parameters.optional(),
  output: output.optional(),
  additional_contexts: z.array(z.string()).optional().describe("e.g. k8snode, aws"),
};

const actionDefinition = z
  .object({ action: z.string().describe("name used by rules to reference it"), ...actionFields })
  .strict()
  .describe("a reusable action");

const ruleAction = z
  .object({ action: z.string(), ...actionFields, actionner: actionFields.actionner.optional() })
  .strict()
  .describe("a reference to an action definition, with optional overrides, or a full inline action");

const rule = z
  .object({
    rule: z.string(),
    description: z.string().optional(),
    continue: yamlBoolean.optional().describe("false: no later matched rule runs"),
    dry_run: z
      .union([yamlBoolean, z.literal("server")])
      .optional()
      .describe("true: log only; server: Kubernetes server-side dry run"),
    cooldown_seconds: z.union([z.number().min(0), z.string().regex(/^\d+$/)]).optional(),
    notifiers: z.array(z.string()).optional(),
    match: z
      .object({
        rules: z.array(z.string()).optional().describe("Falco rule names (OR)"),
        priority: z
          .string()
          .regex(/^(<|>)?=?(Debug|Informational|Notice|Warning|Error|Critical|Alert|Emergency|)$/i)
          .optional()
          .describe("e.g. >=Warning"),
        source: z.string().optional().describe("e.g. syscall, k8s_audit"),
        tags: z
          .array(z.string())
          .optional()
          .describe("each entry a comma-separated AND group; OR between entries"),
        output_fields: z
          .array(z.string())
          .optional()
          .describe("each entry a comma-separated AND group of key=value or key!=value; OR between entries"),
      })
      .strict()
      .optional(),
    actions: z.array(ruleAction).min(1),
  })
  .strict();

const rulesFile = z.array(z.union([actionDefinition, rule]));

type Json = Record<string, unknown>;

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

/** Builds the schema from the registries given (the CLI passes the built-in ones). */
export function rulesJsonSchema(actionners: readonly Actionner[], outputs: readonly Output[]): Json {
  const schema = z.toJSONSchema(rulesFile, { io: "input" }) as Json & {
    items: { anyOf: Json[] };
  };
  const byActionner = actionners.map((a) =>
    ifThen(
      { properties: { actionner: { const: `${a.info.category}:${a.info.name}` } }, required: ["actionner"] },
      { properties: { parameters: inputSchema(a.parameters) } },
    ),
  );
  const byOutput = outputs.map((o) =>
    ifThen(
      { properties: { target: { const: `${o.info.category}:${o.info.name}` } }, required: ["target"] },
      { properties: { parameters: inputSchema(o.parameters) } },
    ),
  );
  const [definition, ruleSchema] = schema.items.anyOf as [
    Json,
    Json & { properties: { actions: { items: Json } } },
  ];
  const withParameters = (action: Json): Json => {
    const props = action.properties as { output?: Json };
    if (props.output) props.output = { ...props.output, allOf: byOutput };
    return { ...action, allOf: byActionner };
  };
  schema.items.anyOf = [
    withParameters(definition),
    {
      ...ruleSchema,
      properties: {
        ...ruleSchema.properties,
        actions: {
          ...ruleSchema.properties.actions,
          items: withParameters(ruleSchema.properties.actions.items),
        },
      },
    },
  ];
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://falco-talon.dev/schemas/rules.json",
    title: "Falco Talon rules file",
    ...schema,
  };
}
