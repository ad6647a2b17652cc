/**
 * One way to declare a plug-in. Each folder's index.ts default-exports
 * `defineActionner({...})` (or defineOutput/defineNotifier/defineContext): the object is
 * checked against its own parameters schema where it is written, and the registries take the
 * result as is, without casts.
 */
import type { z } from "zod";
import type { Actionner, ContextProvider, Notifier, Output, Reversible } from "./types.js";

/**
 * Each definer keeps the plug-in's own parameter types (tests and plans read them), and the
 * result fits `Actionner` (`Output`, `Notifier`) as it is: the registries list it without a cast.
 */
export function defineActionner<S extends z.ZodType>(actionner: Actionner<S>): Actionner<S> {
  return actionner;
}

export function defineOutput<S extends z.ZodType>(output: Output<S>): Output<S> {
  return output;
}

export function defineNotifier<S extends z.ZodType>(notifier: Notifier<S>): Notifier<S> {
  return notifier;
}

export function defineContext(context: ContextProvider): ContextProvider {
  return context;
}

/** A reversible actionner's `reversible` part, with its record's type kept for `revert`. */
export function defineReversible<U extends z.ZodType>(reversible: Reversible<U>): Reversible<U> {
  return reversible;
}
