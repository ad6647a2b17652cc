/** Every context provider for `additional_contexts`. Adding one: a folder plus one line here. */
import type { ContextProvider } from "../plugins/types.js";
import aws from "./aws/index.js";
import k8snode from "./k8snode/index.js";

export const contexts: ContextProvider[] = [k8snode, aws];

export function findContext(name: string): ContextProvider | undefined {
  return contexts.find((c) => c.info.name === name);
}
