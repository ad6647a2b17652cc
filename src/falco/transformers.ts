// Stand-alone transformer application (the compiler inlines the same logic into closures).
import { asciiLower, asciiUpper } from "./operators.js";

type TrValue = string | number | bigint;

/** Applies a transformer to a value, or to each value of a list (`len` counts the list), as libsinsp does. */
export function applyTransformer(name: string, input: TrValue | TrValue[]): unknown {
  if (name === "len") {
    if (Array.isArray(input)) return input.length;
    return Buffer.byteLength(String(input), "latin1");
  }
  if (Array.isArray(input)) return input.map((v) => applyTransformer(name, v));
  const s = String(input);
  switch (name) {
    case "tolower":
      return asciiLower(s);
    case "toupper":
      return asciiUpper(s);
    case "b64":
      return Buffer.from(s, "base64").toString("latin1");
    case "basename": {
      const i = s.lastIndexOf("/");
      return i < 0 ? s : s.slice(i + 1);
    }
    default:
      throw new Error(`unknown transformer '${name}'`);
  }
}
