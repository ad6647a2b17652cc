/**
 * The pod's JSON patches, one for the quarantine and one for its revert. Each tests the pod's
 * uid and every key it touches at the value read (a `test` with null passes only while the key
 * is absent): a pod changed since it was read fails the whole patch (422), and the caller reads
 * it again.
 */
import type { V1Pod } from "@kubernetes/client-node";
import { guardedMetadataPatch, type JsonPatchOp, mapValue } from "../../../kube/patch.js";
import type { QuarantineRecord } from "./record.js";

type Field = "labels" | "annotations";

/** The pod's patch: its uid tested first, so a pod re-created under the name is never touched. */
function podPatch(
  pod: V1Pod,
  labels: Record<string, string | null>,
  annotations: Record<string, string | null>,
): JsonPatchOp[] {
  const ops = [
    ...guardedMetadataPatch("labels", pod.metadata?.labels, labels),
    ...guardedMetadataPatch("annotations", pod.metadata?.annotations, annotations),
  ];
  return ops.length > 0 ? [{ op: "test", path: "/metadata/uid", value: pod.metadata?.uid }, ...ops] : [];
}

/** The changes of the quarantine, as recorded for the revert. */
export interface PodChange {
  removed: Record<string, string>;
  added: Record<string, string>;
  annotations: Record<string, string>;
  /** The values `annotations` replaced. */
  previous: Record<string, string>;
}

/**
 * What quarantining `pod` changes: the `keys` it has are removed (with their values), the
 * `added` labels and `annotations` set. `annotationsFor` gives the annotations once the
 * removed labels are known (the labels annotation lists them).
 */
export function quarantineChange(
  pod: V1Pod,
  keys: string[],
  added: Record<string, string>,
  annotationsFor: (removed: Record<string, string>) => Record<string, string>,
): PodChange {
  const labels = pod.metadata?.labels;
  const removed: Record<string, string> = {};
  for (const k of keys) {
    const v = mapValue(labels, k);
    if (v !== null) removed[k] = v;
  }
  const annotations = annotationsFor(removed);
  const previous: Record<string, string> = {};
  for (const k of Object.keys(annotations)) {
    const v = mapValue(pod.metadata?.annotations, k);
    if (v !== null) previous[k] = v;
  }
  return { removed, added, annotations, previous };
}

/** The quarantine's one patch of the pod. */
export function quarantineOps(pod: V1Pod, change: PodChange): JsonPatchOp[] {
  const labels: Record<string, string | null> = { ...change.added };
  for (const k of Object.keys(change.removed)) labels[k] = null;
  return podPatch(pod, labels, change.annotations);
}

export interface RevertLines {
  reverted: string[];
  unchanged: string[];
  conflicts: string[];
}

/**
 * The revert's patch of the pod (no ops when there is nothing to undo) and one line per label
 * and annotation: a removed label comes back only where the pod has no other value for it now;
 * a label or annotation the quarantine set goes (or gets its previous value back) only while it
 * still has the value written.
 */
export function restoreOps(
  pod: V1Pod,
  rec: QuarantineRecord,
  dryRun: boolean,
): { ops: JsonPatchOp[] } & RevertLines {
  const where = `the pod '${rec.pod.name}' in the namespace '${rec.pod.namespace}'`;
  const out: RevertLines = { reverted: [], unchanged: [], conflicts: [] };
  const labels: Record<string, string | null> = {};
  const annotations: Record<string, string | null> = {};

  for (const [k, v] of Object.entries(rec.labels.removed)) {
    const now = mapValue(pod.metadata?.labels, k);
    if (now === null) {
      labels[k] = v;
      out.reverted.push(
        dryRun
          ? `would set the label '${k}' on ${where} back to '${v}'`
          : `label '${k}' on ${where} set back to '${v}'`,
      );
    } else if (now === v) out.unchanged.push(`label '${k}' on ${where} is already '${v}'`);
    else {
      out.conflicts.push(
        `label '${k}' on ${where} is now '${now}' (the quarantine removed '${v}'): left alone`,
      );
    }
  }

  const unset = (field: Field, k: string, v: string, previous: string | null) => {
    const singular = field === "labels" ? "label" : "annotation";
    const now = mapValue(pod.metadata?.[field], k);
    if (now === v) {
      (field === "labels" ? labels : annotations)[k] = previous;
      if (previous === null) {
        out.reverted.push(
          dryRun
            ? `would remove the ${singular} '${k}' from ${where}`
            : `${singular} '${k}' removed from ${where}`,
        );
      } else {
        out.reverted.push(
          dryRun
            ? `would set the ${singular} '${k}' on ${where} back to its previous value`
            : `${singular} '${k}' on ${where} set back to its previous value`,
        );
      }
    } else if (now === null && previous === null) {
      out.unchanged.push(`${singular} '${k}' is already absent from ${where}`);
    } else if (now === previous) {
      out.unchanged.push(`${singular} '${k}' on ${where} already has its previous value`);
    } else if (field === "labels") {
      out.conflicts.push(
        `label '${k}' on ${where} is now ${now === null ? "absent" : `'${now}'`} (the quarantine set '${v}'): left alone`,
      );
    } else {
      out.conflicts.push(`annotation '${k}' on ${where} was changed since the quarantine: left alone`);
    }
  };
  for (const [k, v] of Object.entries(rec.labels.added)) unset("labels", k, v, null);
  for (const [k, v] of Object.entries(rec.annotations.added)) {
    unset("annotations", k, v, mapValue(rec.annotations.previous, k));
  }

  return { ops: podPatch(pod, labels, annotations), ...out };
}
