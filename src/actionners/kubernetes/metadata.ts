/**
 * kubernetes:label and kubernetes:annotation share this: set, change or remove keys on the pod
 * or its node in ONE JSON patch; an empty value removes the key.
 */
import { z } from "zod";
import { callOptions, dryRunParam, kubeCall, requestOptions } from "../../kube/call.js";
import { checkAnnotations, checkLabels } from "../../kube/names.js";
import { metadataMapPatch } from "../../kube/patch.js";
import { getPod, getPodNode, type PodRef, podRefFromEvent } from "../../kube/pods.js";
import type { ActionInput, Actionner, ActionPlan, ActionResult } from "../../plugins/types.js";
import { annotationMap, labelMap } from "./params.js";
import { eventFailure, failureOnThrow, podObjects, podText } from "./pod.js";

type Params = { level: "node" | "pod" } & Partial<Record<"labels" | "annotations", Record<string, string>>>;

/** The actionner for `labels` or `annotations`; index.ts passes it to defineActionner. */
export function metadataActionner(
  field: "labels" | "annotations",
): Actionner<z.ZodType<Params, Record<string, unknown>>> {
  const singular = field === "labels" ? "label" : "annotation";
  // Talon's texts, including its "annotationed" for nodes.
  const podVerb = field === "labels" ? "labeled" : "annotated";
  const nodeVerb = field === "labels" ? "labeled" : "annotationed";
  const shape = {
    [field]: (field === "labels" ? labelMap : annotationMap).refine((m) => Object.keys(m).length > 0, {
      message: `parameter '${field}' should have at least one ${singular}`,
    }),
    // A typo such as `level: container` is an error, not a silent pod-level action.
    level: z.enum(["pod", "node"]).default("pod"),
  };
  // The computed key loses zod's inference; the output type is stated instead.
  const parameters = z.object(shape) as unknown as z.ZodType<Params, Record<string, unknown>>;

  /**
   * The event's pod and the wanted map, both validated before any request. The parameters were
   * checked when the rules loaded; they are checked again because run must not rely on that.
   */
  const validated = ({ event, parameters: p }: Pick<ActionInput<Params>, "event" | "parameters">) => {
    const ref: PodRef = podRefFromEvent(event);
    const wanted = p[field] ?? {};
    if (field === "labels") checkLabels(wanted, `parameters.${field}`);
    else checkAnnotations(wanted, `parameters.${field}`);
    return { ref, wanted };
  };

  return {
    info: {
      category: "kubernetes",
      name: singular,
      description: `Add, modify or delete the ${field} of the pod or its node`,
      source: "syscall",
      continue: true,
      useContext: false,
      allowOutput: false,
      requireOutput: false,
      requiredOutputFields: ["k8s.ns.name", "k8s.pod.name"],
      permissions: {
        kubernetes: [
          { apiGroups: [""], resources: ["pods"], verbs: ["get", "patch"] },
          { apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] },
        ],
      },
      example: `- action: ${field === "labels" ? "Label" : "Annotate"} the pod
  actionner: kubernetes:${singular}
  parameters:
    level: pod
    ${field}:
      suspicious: "true"
      previous-${singular}: ""
`,
    },
    parameters,
    nodeLevel: (p) => p.level === "node",
    kubernetesPermissions: (p) =>
      p.level === "node"
        ? [
            { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
            { apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] },
          ]
        : [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "patch"] }],
    async checks(input) {
      const { ref } = validated(input);
      await getPod(await input.env.kube(), ref, callOptions(input.env));
    },
    plan(input): ActionPlan {
      const { ref, wanted } = validated(input);
      const set = Object.fromEntries(Object.entries(wanted).filter(([, v]) => v !== ""));
      const remove = Object.keys(wanted).filter((k) => wanted[k] === "");
      const what = [
        ...(Object.keys(set).length > 0 ? [`set ${field} ${JSON.stringify(set)}`] : []),
        ...(remove.length > 0 ? [`remove ${field} ${JSON.stringify(remove)}`] : []),
      ].join(" and ");
      const pod = podText(ref);
      return {
        objects: podObjects(ref),
        plan: `${what} on ${input.parameters.level === "node" ? `the node of ${pod}` : pod}`,
        details: { level: input.parameters.level, set, remove },
      };
    },
    async run(input): Promise<ActionResult> {
      const { env } = input;
      let checked: ReturnType<typeof validated>;
      try {
        checked = validated(input);
      } catch (err) {
        return eventFailure(err);
      }
      const { ref, wanted } = checked;
      const kube = await env.kube();
      const dryRun = dryRunParam(env);
      if (input.parameters.level === "node") {
        return failureOnThrow({}, async (objects) => {
          const pod = await getPod(kube, ref, callOptions(env));
          const node = await getPodNode(kube, pod, callOptions(env));
          const nodeName = node.metadata?.name ?? "";
          if (nodeName !== "") objects.node = nodeName;
          const ops = metadataMapPatch(field, node.metadata?.[field], wanted);
          if (ops.length > 0) {
            await kubeCall(
              `patch node ${nodeName}`,
              (signal) => kube.core.patchNode({ name: nodeName, body: ops, dryRun }, requestOptions(signal)),
              callOptions(env),
            );
          }
          return {
            status: "success",
            output: `the node '${nodeName}' has been ${nodeVerb}`,
            objects: { node: nodeName },
          };
        });
      }
      return failureOnThrow(podObjects(ref), async (objects) => {
        const pod = await getPod(kube, ref, callOptions(env));
        const ops = metadataMapPatch(field, pod.metadata?.[field], wanted);
        if (ops.length > 0) {
          await kubeCall(
            `patch pod ${ref.namespace}/${ref.name}`,
            (signal) =>
              kube.core.patchNamespacedPod(
                { name: ref.name, namespace: ref.namespace, body: ops, dryRun },
                requestOptions(signal),
              ),
            callOptions(env),
          );
        }
        return {
          status: "success",
          output: `the pod '${ref.name}' in the namespace '${ref.namespace}' has been ${podVerb}`,
          objects,
        };
      });
    },
  };
}
