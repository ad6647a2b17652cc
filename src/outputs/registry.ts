/** Every output, by `category:name`. Adding one: a folder plus one line here. */
import type { Output } from "../plugins/types.js";
import localFile from "./local/file/index.js";

export const outputs: Output[] = [localFile];

export function outputName(o: Output): string {
  return `${o.info.category}:${o.info.name}`;
}

export function findOutput(fullName: string): Output | undefined {
  return outputs.find((o) => outputName(o) === fullName);
}
