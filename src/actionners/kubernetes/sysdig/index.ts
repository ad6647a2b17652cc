/**
 * kubernetes:sysdig — runs a sysdig capture on the event pod's node from a short-lived Job in a
 * dedicated namespace (never the target's), fetches the capture as raw bytes, and deletes the
 * Job (ttlSecondsAfterFinished is the safety net).
 */
import { randomBytes } from "node:crypto";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { z } from "zod";
import {
  callOptions,
  dryRunParam,
  isNotFound,
  kubeCall,
  kubeErrorMessage,
  requestOptions,
} from "../../../kube/call.js";
import type { KubeClient } from "../../../kube/client.js";
import { execFailure, execInPod } from "../../../kube/exec.js";
import { checkPodName } from "../../../kube/names.js";
import { type PodRef, podNodeName, podRefFromEvent } from "../../../kube/pods.js";
import { defineActionner } from "../../../plugins/define.js";
import type { ActionPlan, ActionResult, PluginEnv } from "../../../plugins/types.js";
import { shellQuote } from "../../../templating/substitute.js";
import { namespaceName, nonNegativeInt } from "../params.js";
import { eventPod, podObjects, podText, runOnPod } from "../pod.js";

const CONTAINER = "sysdig";
const TTL_AFTER_FINISHED = 600;

const parameters = z.object({
  duration: nonNegativeInt.pipe(z.number().min(1).max(30)).default(5),
  /** sysdig `-s`: bytes captured per I/O buffer. */
  buffer_size: nonNegativeInt.pipe(z.number().min(128)).default(2048),
  /** `pod`: only the pod's containers; `node`: everything on the node. */
  scope: z.enum(["pod", "node"]).default("pod"),
  image: z.string().min(1).default("issif/sysdig:latest"),
  /** Where the privileged Job runs; must exist and must not be the target's namespace. */
  namespace: namespaceName.default("falco-talon"),
  /** Shell of the sysdig image. */
  shell: z.string().min(1).default("/bin/sh"),
  /** How long to wait for the Job's pod to run (image pull included). */
  start_timeout: nonNegativeInt.pipe(z.number().min(1).max(600)).default(60),
});
type Params = z.output<typeof parameters>;

const RUNTIME_SOCKETS: Record<string, string> = {
  containerd: "/host/run/containerd/containerd.sock",
  "cri-o": "/host/run/crio/crio.sock",
  docker: "/host/var/run/docker.sock",
};

/** sysdig's filter for scope `pod`: the 12-char container ids, else the pod's k8s metadata. */
export function podFilter(pod: V1Pod): string {
  const ids = (pod.status?.containerStatuses ?? [])
    .map((s) => /^[a-z-]+:\/\/([0-9a-f]+)$/i.exec(s.containerID ?? "")?.[1]?.slice(0, 12))
    .filter((id): id is string => id !== undefined && id !== "");
  if (ids.length > 0) return `container.id in (${ids.join(",")})`;
  return `k8s.ns.name=${pod.metadata?.namespace} and k8s.pod.name=${pod.metadata?.name}`;
}

function criSocket(pod: V1Pod): string {
  const runtime = /^([a-z-]+):\/\//i.exec(pod.status?.containerStatuses?.[0]?.containerID ?? "")?.[1] ?? "";
  return RUNTIME_SOCKETS[runtime] ?? (RUNTIME_SOCKETS["containerd"] as string);
}

/** Captures into a private temp file, writes it to stdout (its only stdout output), removes it. */
export function captureScript(p: Params, pod: V1Pod): string {
  const filter = p.scope === "pod" ? ` ${shellQuote(podFilter(pod))}` : "";
  return [
    `f=$(mktemp "\${TMPDIR:-/tmp}/falco-talon-sysdig.XXXXXX") || exit 125`,
    `sysdig --modern-bpf --cri ${criSocket(pod)} -M ${p.duration} -s ${p.buffer_size} -z -w "$f"${filter} >&2 </dev/null`,
    "rc=$?",
    'if [ "$rc" -ne 0 ]; then rm -f "$f"; exit "$rc"; fi',
    'cat "$f"',
    "rc=$?",
    'rm -f "$f"',
    'exit "$rc"',
  ].join("\n");
}

/** The Job: one privileged pod pinned to the node, sleeping a little past the capture. */
export function sysdigJob(name: string, nodeName: string, target: V1Pod, p: Params, now: Date): V1Job {
  const deadline = p.duration + p.start_timeout + 60;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name,
      namespace: p.namespace,
      labels: {
        "app.kubernetes.io/managed-by": "falco-talon",
        "app.kubernetes.io/name": "falco-talon-sysdig",
        "app.kubernetes.io/part-of": "falco-talon",
      },
      annotations: {
        "falco-talon/target": `${target.metadata?.namespace}/${target.metadata?.name}`,
        "end-at": new Date(now.getTime() + deadline * 1000).toISOString(),
      },
    },
    spec: {
      backoffLimit: 0,
      completions: 1,
      parallelism: 1,
      ttlSecondsAfterFinished: TTL_AFTER_FINISHED,
      activeDeadlineSeconds: deadline,
      template: {
        metadata: { labels: { "app.kubernetes.io/name": "falco-talon-sysdig" } },
        spec: {
          nodeName,
          restartPolicy: "Never",
          terminationGracePeriodSeconds: 1,
          automountServiceAccountToken: false,
          // The target's node may be tainted or cordoned: run there anyway.
          tolerations: [{ operator: "Exists" }],
          containers: [
            {
              name: CONTAINER,
              image: p.image,
              command: ["sleep", String(deadline)],
              env: [{ name: "HOST_ROOT", value: "/host" }],
              securityContext: { privileged: true, runAsUser: 0 },
              volumeMounts: [{ name: "host", mountPath: "/host", readOnly: true }],
            },
          ],
          volumes: [{ name: "host", hostPath: { path: "/" } }],
        },
      },
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The privileged Job never runs in the target's own namespace. */
function sameNamespaceProblem(ref: PodRef, p: Params): string | undefined {
  return p.namespace === ref.namespace
    ? `the sysdig job can't run in the target's namespace '${ref.namespace}': set the parameter 'namespace' to a dedicated one`
    : undefined;
}

/** The Job's pod once it runs with its container ready; fails fast on pull errors. */
async function waitJobPod(kube: KubeClient, job: string, p: Params, env: PluginEnv): Promise<string> {
  const deadline = Date.now() + p.start_timeout * 1000;
  let last = "no pod yet";
  for (;;) {
    if (env.signal.aborted) throw new Error(`waiting for the job '${job}': aborted`);
    const list = await kubeCall(
      `list pods of job ${p.namespace}/${job}`,
      (signal) =>
        kube.core.listNamespacedPod(
          { namespace: p.namespace, labelSelector: `batch.kubernetes.io/job-name=${job}` },
          requestOptions(signal),
        ),
      callOptions(env),
    );
    for (const pod of list.items) {
      const st = pod.status?.containerStatuses?.find((s) => s.name === CONTAINER);
      if (pod.status?.phase === "Running" && st?.ready && st.state?.running) {
        return checkPodName(pod.metadata?.name ?? "", `the pod list of the job '${job}'`);
      }
      const waiting = st?.state?.waiting;
      if (waiting?.reason) {
        last = `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`;
        if (
          /^(ErrImagePull|ImagePullBackOff|InvalidImageName|CreateContainerError|CreateContainerConfigError)$/.test(
            waiting.reason,
          )
        ) {
          throw new Error(`the pod of the job '${job}' can't start: ${last}`);
        }
      } else if (pod.status?.phase === "Failed") {
        throw new Error(
          `the pod of the job '${job}' failed: ${pod.status.reason ?? pod.status.message ?? "unknown"}`,
        );
      } else {
        last = `pod ${pod.metadata?.name} is ${pod.status?.phase ?? "Pending"}`;
      }
    }
    if (Date.now() > deadline)
      throw new Error(`the job '${job}' has no running pod after ${p.start_timeout}s (${last})`);
    await sleep(300);
  }
}

/** Deletes the Job and its pods; runs even when the action was aborted. */
async function deleteJob(kube: KubeClient, namespace: string, name: string, env: PluginEnv): Promise<void> {
  try {
    await kubeCall(`delete job ${namespace}/${name}`, (signal) =>
      kube.batch.deleteNamespacedJob(
        { name, namespace, propagationPolicy: "Background", gracePeriodSeconds: 0 },
        requestOptions(signal),
      ),
    );
  } catch (err) {
    if (!isNotFound(err)) {
      env.logger.error(
        { job: `${namespace}/${name}`, error: kubeErrorMessage(err) },
        "sysdig job cleanup failed",
      );
    }
  }
}

export default defineActionner({
  info: {
    category: "kubernetes",
    name: "sysdig",
    description: "Capture the syscalls of the pod (or its node) with sysdig from a Job on its node",
    source: "syscall",
    continue: false,
    useContext: false,
    allowOutput: true,
    requireOutput: true,
    requiredOutputFields: ["k8s.ns.name", "k8s.pod.name"],
    permissions: {
      kubernetes: [
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
        { apiGroups: [""], resources: ["namespaces"], verbs: ["get"] },
        { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "delete"] },
        { apiGroups: [""], resources: ["pods/exec"], verbs: ["get", "create"] },
      ],
    },
    example: `- action: Capture the syscalls of the pod
  actionner: kubernetes:sysdig
  parameters:
    duration: 10
    scope: pod
    namespace: falco-talon
  output:
    target: local:file
    parameters:
      destination: /var/lib/falco-talon/captures
`,
  },
  parameters,
  async checks(input) {
    const { event, parameters: p, env } = input;
    const ref = podRefFromEvent(event);
    const sameNamespace = sameNamespaceProblem(ref, p);
    if (sameNamespace) throw new Error(sameNamespace);
    const kube = await env.kube();
    await eventPod(input);
    try {
      await kubeCall(
        `get namespace ${p.namespace}`,
        (signal) => kube.core.readNamespace({ name: p.namespace }, requestOptions(signal)),
        callOptions(env),
      );
    } catch (err) {
      if (isNotFound(err)) throw new Error(`the namespace '${p.namespace}' for the sysdig job doesn't exist`);
      throw new Error(`can't get the namespace '${p.namespace}': ${kubeErrorMessage(err)}`);
    }
  },
  plan({ event, parameters: p }): ActionPlan {
    const ref = podRefFromEvent(event);
    const sameNamespace = sameNamespaceProblem(ref, p);
    if (sameNamespace) throw new Error(sameNamespace);
    return {
      objects: podObjects(ref),
      plan: `create a privileged Job (image '${p.image}') in the namespace '${p.namespace}' on the node of ${podText(ref)}, capture ${p.duration}s of syscalls (scope ${p.scope}), fetch the capture and delete the Job`,
      details: {
        job_namespace: p.namespace,
        image: p.image,
        duration: p.duration,
        buffer_size: p.buffer_size,
        scope: p.scope,
      },
    };
  },
  run: (input): Promise<ActionResult> =>
    runOnPod(input, async (ref, objects) => {
      const { parameters: p, env } = input;
      const sameNamespace = sameNamespaceProblem(ref, p);
      if (sameNamespace) return { status: "failure", error: sameNamespace, objects };
      const kube = await env.kube();
      let created: string | undefined;
      try {
        const pod = await eventPod(input);
        const nodeName = podNodeName(pod);
        if (nodeName === "")
          throw new Error(
            `the pod '${ref.name}' in the namespace '${ref.namespace}' is not scheduled on a node`,
          );
        const name = `falco-talon-sysdig-${randomBytes(3).toString("hex").slice(0, 5)}`;
        objects["job"] = name;
        const body = sysdigJob(name, nodeName, pod, p, new Date());
        await kubeCall(
          `create job ${p.namespace}/${name}`,
          (signal) =>
            kube.batch.createNamespacedJob(
              { namespace: p.namespace, body, dryRun: dryRunParam(env) },
              requestOptions(signal),
            ),
          { ...callOptions(env), retries: 0 },
        );
        if (env.dryRun === "server") {
          return {
            status: "ignored",
            output: `dry run: the job '${name}' would capture on the node '${nodeName}'`,
            objects,
          };
        }
        created = name;
        const jobPod = await waitJobPod(kube, name, p, env);
        const result = await execInPod(kube, {
          namespace: p.namespace,
          pod: jobPod,
          container: CONTAINER,
          command: [p.shell, "-c", captureScript(p, pod)],
          signal: env.signal,
          timeoutMs: (p.duration + 120) * 1000,
        });
        const error = execFailure(result);
        if (error) return { status: "failure", error: `the capture failed: ${error}`, objects };
        if (result.stdout.length === 0)
          return { status: "failure", error: "the capture failed: the capture file is empty", objects };
        return {
          status: "success",
          output: `a sysdig capture of ${p.duration}s (scope ${p.scope}) has been taken for the pod '${ref.name}' in the namespace '${ref.namespace}'`,
          objects,
          data: {
            name: "sysdig.scap.gz",
            objects: { pod: ref.name, namespace: ref.namespace },
            bytes: result.stdout,
            contentType: "application/gzip",
          },
        };
      } finally {
        if (created) await deleteJob(kube, p.namespace, created, env);
      }
    }),
});
