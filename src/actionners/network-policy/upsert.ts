/**
 * Create-or-update of the policy objects: a plain create/update loop that re-reads on conflicts,
 * and its use for policy custom resources (Calico, Cilium) through KubernetesObjectApi.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { abortable } from "../../abortable.js";
import { isNotFound, type KubeCallOptions, kubeCall, statusCode } from "../../kube/call.js";
import type { KubeClient } from "../../kube/client.js";

export interface Upsert<T, W = unknown> {
  /** Reads the current object; resolves undefined when it doesn't exist. */
  read(): Promise<T | undefined>;
  /** Creates the object; resolves the object as written. */
  create(): Promise<W>;
  /** Replaces `current` (whose resourceVersion guards against lost updates); resolves it as written. */
  update(current: T): Promise<W>;
}

/** What a create-or-update did: the object it replaced (none when it created one) and what it wrote. */
export interface Upserted<T, W> {
  outcome: "created" | "updated";
  /** The object as read just before the update that succeeded; undefined when created. */
  previous?: T;
  /** The write's response: the object as stored (its uid, resourceVersion and spec). */
  written: W;
}

/**
 * Create, or update the existing object, keeping the object replaced and the one written (a
 * reversible action records both). A create that loses a race (409 AlreadyExists) and an update
 * that hits a conflict (409) re-read and retry, a few times.
 */
export async function upsert<T, W>(ops: Upsert<T, W>): Promise<Upserted<T, W>> {
  for (let attempt = 0; ; attempt++) {
    const current = await ops.read();
    try {
      if (current === undefined) return { outcome: "created", written: await ops.create() };
      return { outcome: "updated", previous: current, written: await ops.update(current) };
    } catch (err) {
      if (statusCode(err) !== 409 || attempt >= 4) throw err;
    }
  }
}

/** {@link upsert} for callers that only need to know whether it created or updated. */
export async function createOrUpdate<T>(ops: Upsert<T>): Promise<"created" | "updated"> {
  return (await upsert(ops)).outcome;
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

/** The arguments of {@link upsertPolicy}. */
export interface PolicyUpsert<S> {
  kube: KubeClient;
  header: { apiVersion: string; kind: string; metadata: { name: string; namespace: string } };
  labels: Record<string, string>;
  buildSpec: (current?: S) => S;
  dryRun: "All" | undefined;
  opts: KubeCallOptions;
  what: string;
}

/**
 * Create-or-update of a policy custom resource (Calico, Cilium) through KubernetesObjectApi:
 * on update the existing labels and annotations are kept and the spec is rebuilt from the
 * current one, so the spec and the labels are all an update changes.
 */
export function upsertPolicy<S>(args: PolicyUpsert<S>): Promise<Upserted<CustomObject<S>, CustomObject<S>>> {
  const { kube, header, labels, buildSpec, dryRun, opts, what } = args;
  return upsert<CustomObject<S>, CustomObject<S>>({
    read: () =>
      readOrUndefined(() =>
        kubeCall(`get ${what}`, (s) => abortable(kube.objects.read<CustomObject<S>>(header), s), opts),
      ),
    create: () =>
      kubeCall(
        `create ${what}`,
        (s) =>
          abortable(
            kube.objects.create<CustomObject<S>>(
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
            kube.objects.replace<CustomObject<S>>(
              {
                ...header,
                metadata: {
                  ...header.metadata,
                  labels: { ...current.metadata?.labels, ...labels },
                  ...(current.metadata?.annotations ? { annotations: current.metadata.annotations } : {}),
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

/** {@link upsertPolicy} for callers that only need to know whether it created or updated. */
export async function upsertPolicyObject<S>(args: PolicyUpsert<S>): Promise<"created" | "updated"> {
  return (await upsertPolicy(args)).outcome;
}
