/** Every notifier, by name. Adding one: a folder plus one line here. */
import type { Notifier } from "../plugins/types.js";

export const notifiers: Notifier[] = [];

export function findNotifier(name: string): Notifier | undefined {
  return notifiers.find((n) => n.info.name === name.toLowerCase());
}
