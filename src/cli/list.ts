/**
 * `actionners list`, `outputs list`, `notifiers list`: generated from
 * each plug-in's `info` and zod parameter schema, as YAML (Talon's layout) or JSON
 * (with each parameter's JSON schema).
 */
import { stringify } from "yaml";
import { z } from "zod";
import { actionnerName, actionners } from "../actionners/registry.js";
import { notifiers } from "../notifiers/registry.js";
import { outputName, outputs } from "../outputs/registry.js";

type JsonSchema = {
  properties?: Record<string, JsonSchema & { default?: unknown; description?: string }>;
  required?: string[];
  [k: string]: unknown;
};

export function parameterSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

export interface ParameterInfo {
  name: string;
  type: string;
  required: boolean;
  default: unknown;
  description: string;
}

type Prop = { type?: unknown; default?: unknown; description?: string; enum?: unknown[]; anyOf?: Prop[] };

function typeOf(p: Prop | undefined): string {
  if (!p) return "any";
  if (p.enum) return p.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (typeof p.type === "string") return p.type;
  if (p.anyOf) {
    const types = p.anyOf.filter((a) => Object.keys(a).length > 0).map(typeOf);
    return types.length > 0 ? [...new Set(types)].join(" | ") : "any";
  }
  return "any";
}

/**
 * Parameters as documented: required-ness from what a rules file must give (input side),
 * types and defaults from what the actionner receives (output side, after coercion).
 */
export function describeParameters(schema: z.ZodType): ParameterInfo[] {
  const input = parameterSchema(schema);
  const output = z.toJSONSchema(schema, { io: "output", unrepresentable: "any" }) as JsonSchema;
  const required = new Set(input.required ?? []);
  return Object.entries(input.properties ?? {}).map(([name, prop]) => {
    const out = output.properties?.[name] as Prop | undefined;
    const def = prop.default ?? out?.default;
    return {
      name,
      type: typeOf(out) !== "any" ? typeOf(out) : typeOf(prop as Prop),
      required: required.has(name) && def === undefined,
      default: def,
      description: prop.description ?? out?.description ?? "",
    };
  });
}

/** Talon's display: each parameter with its default, `(required)` suffixed when required. */
export function parameterDisplay(schema: z.ZodType): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of describeParameters(schema)) {
    out[p.required ? `${p.name} (required)` : p.name] = p.default ?? defaultFor({ type: p.type });
  }
  return out;
}

function defaultFor(prop: JsonSchema): unknown {
  switch (prop.type) {
    case "array":
      return [];
    case "object":
      return {};
    case "boolean":
      return false;
    case "integer":
    case "number":
      return 0;
    default:
      return "";
  }
}

export type ListFormat = "yaml" | "json";

/**
 * Renders plug-in descriptions. `fields` gives the keys in Talon's order with `parameters`
 * holding the zod schema: YAML shows defaults, JSON adds `parameters_schema`.
 */
function render(
  format: ListFormat,
  items: { title: string; fields: Record<string, unknown> & { parameters: z.ZodType } }[],
): string {
  if (format === "json") {
    return JSON.stringify(
      items.map(({ title, fields }) => ({
        full_name: title,
        ...fields,
        parameters: parameterDisplay(fields.parameters),
        parameters_schema: parameterSchema(fields.parameters),
      })),
      null,
      2,
    );
  }
  return items
    .map(({ title, fields }) =>
      section(title, { ...fields, parameters: parameterDisplay(fields.parameters) }),
    )
    .join("");
}

export function listActionners(format: ListFormat): string {
  return render(
    format,
    actionners.map((a) => ({
      title: actionnerName(a),
      fields: {
        parameters: a.parameters,
        name: a.info.name,
        category: a.info.category,
        description: a.info.description,
        source: a.info.source,
        permissions: a.info.permissions,
        example: a.info.example,
        required_output_fields: a.info.requiredOutputFields,
        continue: a.info.continue,
        use_context: a.info.useContext,
        allow_output: a.info.allowOutput,
        require_output: a.info.requireOutput,
      },
    })),
  );
}

export function listOutputs(format: ListFormat): string {
  return render(
    format,
    outputs.map((o) => ({
      title: outputName(o),
      fields: {
        name: o.info.name,
        category: o.info.category,
        description: o.info.description,
        parameters: o.parameters,
        permissions: o.info.permissions,
        example: o.info.example,
      },
    })),
  );
}

export function listNotifiers(format: ListFormat): string {
  return render(
    format,
    notifiers.map((n) => ({
      title: n.info.name,
      fields: {
        name: n.info.name,
        description: n.info.description,
        parameters: n.parameters,
        permissions: n.info.permissions,
        example: n.info.example,
      },
    })),
  );
}

function section(title: string, body: Record<string, unknown>): string {
  return `--- ${title} ---\n${stringify(body, { lineWidth: 0 })}\n`;
}
