/**
 * The built-in plug-ins as one lookup, built once from the four registries: the server hands it
 * to the pipeline, and rules validation uses it (with the names, for "did you mean" hints).
 */
import { actionnerName, actionners, findActionner } from "../actionners/registry.js";
import { contexts, findContext } from "../contexts/registry.js";
import { findNotifier, notifiers } from "../notifiers/registry.js";
import { findOutput, outputName, outputs } from "../outputs/registry.js";
import type { PluginLookup } from "../plugins/lookup.js";

/** Every plug-in's name, by kind. */
export interface PluginNames {
  actionners: string[];
  outputs: string[];
  contexts: string[];
  notifiers: string[];
}

/** A lookup that can also list what it holds. */
export interface PluginCatalog extends PluginLookup {
  names(): PluginNames;
}

export const builtinPlugins: PluginCatalog = {
  findActionner,
  findOutput,
  findNotifier,
  findContext,
  names: () => ({
    actionners: actionners.map(actionnerName),
    outputs: outputs.map(outputName),
    contexts: contexts.map((c) => c.info.name),
    notifiers: notifiers.map((n) => n.info.name),
  }),
};
