/**
 * Create-or-update of the policy objects: a plain create/update loop that re-reads on conflicts,
 * and its use for policy custom resources (Calico, Cilium) through KubernetesObjectApi.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { abortable } from "../../abortable.js";
import { isNotFound, type KubeCallOptions, kubeCall, statusCode } from "../../kube/call.js";
import type { KubeClient } from "../../kube/client.js";

export interface Upsert<T> {
  /** Reads the current object; resolves undefined when it doesn't exist. */
  read(): Promise<T | undefined>;
  create(): Promise<unknown>;
  /** Replaces `current` (whose resourceVersion guards against lost updates). */
  update(current: T): Promise<unknown>;
}

/**
 * Create, or update the existing object. A create that loses a race (409 AlreadyExists)
 * and an update that hits a conflict (409) re-read and retry, a few times.
 */
export async function createOrUpdate<T>(ops: Upsert<T>): Promise<"created" | "updated"> {
  for (let attempt = 0; ; attempt++) {
    const current = await ops.read();
    try {
      if (current === undefined) {
        await ops.create();
        return "created";
      }
      await ops.update(current);
      return "updated";
    } catch (err) {
      if (statusCode(err) !== 409 || attempt >= 4) throw err;
    }
  }
}

/** read() for createOrUpdate: 404 is "absent". */
export async function readOrUndefined<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** A custom resource read back through KubernetesObjectApi. */
export type CustomObject<S> = KubernetesObject & { spec?: S };

/**
 * Create-or-update of a policy custom resource (Calico, Cilium) through KubernetesObjectApi:
 * on update the existing labels are kept and the spec is rebuilt from the current one.
 */
export function upsertPolicyObject<S>(args: {
  kube: KubeClient;
  header: { apiVersion: string; kind: string; metadata: { name: string; namespace: string } };
  labels: Record<string, string>;
  buildSpec: (current?: S) => S;
  dryRun: "All" | undefined;
  opts: KubeCallOptions;
  what: string;
}): Promise<"created" | "updated"> {
  const { kube, header, labels, buildSpec, dryRun, opts, what } = args;
  return createOrUpdate<CustomObject<S>>({
    read: () =>
      readOrUndefined(() =>
        kubeCall(`get ${what}`, (s) => abortable(kube.objects.read<CustomObject<S>>(header), s), opts),
      ),
    create: () =>
      kubeCall(
        `create ${what}`,
        (s) =>
          abortable(
            kube.objects.create(
              { ...header, metadata: { ...header.metadata, labels }, spec: buildSpec() },
              undefined,
              dryRun,
            ),
            s,
          ),
        opts,
      ),
    update: (current) =>
      kubeCall(
        `update ${what}`,
        (s) =>
          abortable(
            kube.objects.replace(
              {
                ...header,
                metadata: {
                  ...header.metadata,
                  labels: { ...current.metadata?.labels, ...labels },
                  resourceVersion: current.metadata?.resourceVersion,
                },
                spec: buildSpec(current.spec),
              },
              undefined,
              dryRun,
            ),
            s,
          ),
        opts,
      ),
  });
}
