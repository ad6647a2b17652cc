/** The target an event acts on: events sharing it are processed in arrival order. */
import type { FalcoEvent } from "../events/event.js";
import {
  getNamespace,
  getPodName,
  getTargetName,
  getTargetNamespace,
  getTargetResource,
} from "../events/fields.js";

export function targetKey(event: FalcoEvent): string {
  const pod = getPodName(event);
  if (pod) return `pod:${getNamespace(event)}/${pod}`;
  const resource = getTargetResource(event);
  const name = getTargetName(event);
  if (resource && name) return `k8s:${resource}/${getTargetNamespace(event)}/${name}`;
  return `event:${event.id}`;
}

/** The node key for node-level actions (cordon, drain). */
export function nodeKey(event: FalcoEvent): string {
  const node = event.output_fields["k8s.node.name"];
  return `node:${typeof node === "string" && node !== "" ? node : event.hostname}`;
}
