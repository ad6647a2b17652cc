/** Every notifier, by name. Adding one: a folder plus one line here. */
import type { Notifier } from "../plugins/types.js";
import elasticsearch from "./elasticsearch/index.js";
import k8sevents from "./k8sevents/index.js";
import loki from "./loki/index.js";
import slack from "./slack/index.js";
import smtp from "./smtp/index.js";
import webhook from "./webhook/index.js";

export const notifiers: Notifier[] = [slack, loki, elasticsearch, smtp, webhook, k8sevents];

export function findNotifier(name: string): Notifier | undefined {
  return notifiers.find((n) => n.info.name === name.toLowerCase());
}
