/** Every output, by `category:name`. Adding one: a folder plus one line here. */
import type { Output } from "../plugins/types.js";

export const outputs: Output[] = [];

export function outputName(o: Output): string {
  return `${o.info.category}:${o.info.name}`;
}

export function findOutput(fullName: string): Output | undefined {
  return outputs.find((o) => outputName(o) === fullName);
}
