/** Every notifier, by name. Adding one: a folder plus one line here. */
import type { Notifier } from "../plugins/types.js";
import webhook from "./webhook/index.js";

export const notifiers: Notifier[] = [webhook];

export function findNotifier(name: string): Notifier | undefined {
  return notifiers.find((n) => n.info.name === name.toLowerCase());
}
