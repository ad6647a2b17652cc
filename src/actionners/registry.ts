/** Every actionner, by `category:name`. Adding one: a folder plus one line here. */
import type { Actionner } from "../plugins/types.js";

export const actionners: Actionner[] = [];

export function actionnerName(a: Actionner): string {
  return `${a.info.category}:${a.info.name}`;
}

export function findActionner(fullName: string): Actionner | undefined {
  return actionners.find((a) => actionnerName(a) === fullName);
}
