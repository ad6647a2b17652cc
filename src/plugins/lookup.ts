/**
 * How the engine finds a plug-in by the name a rule or the configuration gives. The app builds
 * one from the registries (src/app/plugins.ts); tests pass stubs.
 */
import type { Actionner, ContextProvider, Notifier, Output } from "./types.js";

export interface PluginLookup {
  /** By `category:name`, e.g. `kubernetes:terminate`. */
  findActionner(fullName: string): Actionner | undefined;
  /** By `category:name`, e.g. `local:file`. */
  findOutput(fullName: string): Output | undefined;
  /** By name, case-insensitively. */
  findNotifier(name: string): Notifier | undefined;
  findContext(name: string): ContextProvider | undefined;
}
