/**
 * kubernetes:tcpdump — adds an ephemeral debug container targeting one of the pod's containers
 * (so it shares its network namespace), waits until it runs, captures for `duration` seconds
 * and fetches the pcap as raw bytes. Output required.
 */
import { randomBytes } from "node:crypto";
import type { V1EphemeralContainer, V1Pod } from "@kubernetes/client-node";
import { z } from "zod";
import { callOptions, dryRunParam, kubeCall, requestOptions } from "../../../kube/call.js";
import type { KubeClient } from "../../../kube/client.js";
import { execFailure, execInPod, pickContainer } from "../../../kube/exec.js";
import { getPod, type PodRef, podRefFromEvent } from "../../../kube/pods.js";
import { defineActionner } from "../../../plugins/define.js";
import type { ActionPlan, ActionResult, PluginEnv } from "../../../plugins/types.js";
import { containerName, nonNegativeInt } from "../params.js";
import { checkEventPod, eventPod, podObjects, podText, runOnPod } from "../pod.js";

const MAX_DURATION = 300;

const parameters = z.object({
  /** Capture length in seconds; 0 means the default, 5. */
  duration: nonNegativeInt
    .transform((n) => (n === 0 ? 5 : n))
    .pipe(z.number().max(MAX_DURATION, `'duration' must be at most ${MAX_DURATION} seconds`))
    .default(5),
  /** Bytes kept per packet; 0 means whole packets. */
  snaplen: nonNegativeInt.default(4096),
  image: z.string().min(1).default("issif/tcpdump:latest"),
  /** The container whose network is captured; default the pod's first container. */
  container: containerName.optional(),
  /** Shell of the debug image. */
  shell: z.string().min(1).default("/bin/sh"),
  /** How long to wait for the debug container to start (image pull included). */
  start_timeout: nonNegativeInt.pipe(z.number().min(1).max(600)).default(60),
});
type Params = z.output<typeof parameters>;

/** The debug container: root with raw-socket capabilities only, sleeping a little past the capture. */
export function tcpdumpContainer(name: string, target: string, p: Params): V1EphemeralContainer {
  return {
    name,
    image: p.image,
    command: ["sleep", String(p.duration + 60)],
    targetContainerName: target,
    stdin: false,
    tty: false,
    securityContext: {
      runAsUser: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      capabilities: { add: ["NET_RAW", "NET_ADMIN"] },
    },
  };
}

/**
 * Captures into a private temp file, then writes it to stdout (the only stdout output) and
 * removes it. `timeout` ends the capture: 124 (coreutils) and 143 (busybox, SIGTERM) are success.
 */
export function captureScript(p: Params): string {
  return [
    `f=$(mktemp "\${TMPDIR:-/tmp}/falco-talon-tcpdump.XXXXXX") || exit 125`,
    `timeout ${p.duration} tcpdump -n -i any -s ${p.snaplen} -U -w "$f" >&2 </dev/null`,
    "rc=$?",
    'case $rc in 0 | 124 | 143) ;; *) rm -f "$f"; exit "$rc" ;; esac',
    'cat "$f"',
    "rc=$?",
    'rm -f "$f"',
    'exit "$rc"',
  ].join("\n");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the pod until the ephemeral container runs; fails fast on a terminal or pull error. */
async function waitRunning(
  kube: KubeClient,
  ref: PodRef,
  name: string,
  timeoutSeconds: number,
  env: PluginEnv,
): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last = "not started";
  for (;;) {
    if (env.signal.aborted) throw new Error(`waiting for the container '${name}': aborted`);
    const pod: V1Pod = await getPod(kube, ref, callOptions(env));
    const st = (pod.status?.ephemeralContainerStatuses ?? []).find((s) => s.name === name);
    if (st?.state?.running) return;
    if (st?.state?.terminated) {
      const t = st.state.terminated;
      throw new Error(
        `the container '${name}' terminated before the capture (${t.reason ?? `exit code ${t.exitCode}`}${t.message ? `: ${t.message}` : ""})`,
      );
    }
    const waiting = st?.state?.waiting;
    if (waiting?.reason) {
      last = `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`;
      if (
        /^(ErrImagePull|ImagePullBackOff|InvalidImageName|ErrImageNeverPull|CreateContainerError|CreateContainerConfigError)$/.test(
          waiting.reason,
        )
      ) {
        throw new Error(`the container '${name}' can't start: ${last}`);
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`the container '${name}' is not running after ${timeoutSeconds}s (${last})`);
    }
    await sleep(300);
  }
}

export default defineActionner({
  info: {
    category: "kubernetes",
    name: "tcpdump",
    description: "Capture the pod's network packets with tcpdump in an ephemeral container",
    source: "syscall",
    continue: false,
    useContext: false,
    allowOutput: true,
    requireOutput: true,
    requiredOutputFields: ["k8s.ns.name", "k8s.pod.name"],
    permissions: {
      kubernetes: [
        { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
        { apiGroups: [""], resources: ["pods/ephemeralcontainers"], verbs: ["patch"] },
        { apiGroups: [""], resources: ["pods/exec"], verbs: ["get", "create"] },
      ],
    },
    example: `- action: Capture the traffic of the pod
  actionner: kubernetes:tcpdump
  parameters:
    duration: 10
    snaplen: 512
  output:
    target: aws:s3
    parameters:
      bucket: falco-talon-captures
      prefix: tcpdump/
`,
  },
  parameters,
  checks: checkEventPod,
  plan({ event, parameters: p }): ActionPlan {
    const ref = podRefFromEvent(event);
    return {
      objects: podObjects(ref),
      plan: `add an ephemeral container (image '${p.image}', NET_RAW/NET_ADMIN) to ${podText(ref)} targeting ${p.container ? `the container '${p.container}'` : "its first container"}, capture ${p.duration}s of packets (snaplen ${p.snaplen}) and fetch the pcap`,
      details: {
        image: p.image,
        duration: p.duration,
        snaplen: p.snaplen,
        ...(p.container ? { container: p.container } : {}),
        script: captureScript(p),
      },
    };
  },
  run: (input): Promise<ActionResult> =>
    runOnPod(input, async (ref, objects) => {
      const { parameters: p, env } = input;
      const kube = await env.kube();
      const pod = await eventPod(input);
      const target = pickContainer(pod, p.container);
      const name = `falco-talon-tcpdump-${randomBytes(3).toString("hex").slice(0, 5)}`;
      objects["container"] = name;
      const container = tcpdumpContainer(name, target, p);
      // JSON patch: append to the list (creating it when the pod has none yet).
      const patch =
        pod.spec?.ephemeralContainers === undefined
          ? [{ op: "add", path: "/spec/ephemeralContainers", value: [container] }]
          : [{ op: "add", path: "/spec/ephemeralContainers/-", value: container }];
      await kubeCall(
        `add ephemeral container ${ref.namespace}/${ref.name}/${name}`,
        (signal) =>
          kube.core.patchNamespacedPodEphemeralcontainers(
            { name: ref.name, namespace: ref.namespace, body: patch, dryRun: dryRunParam(env) },
            requestOptions(signal),
          ),
        { ...callOptions(env), retries: 0 },
      );
      if (env.dryRun === "server") {
        return {
          status: "ignored",
          output: `dry run: the container '${name}' would capture the traffic of the pod '${ref.name}' in the namespace '${ref.namespace}'`,
          objects,
        };
      }
      await waitRunning(kube, ref, name, p.start_timeout, env);
      const result = await execInPod(kube, {
        namespace: ref.namespace,
        pod: ref.name,
        container: name,
        command: [p.shell, "-c", captureScript(p)],
        signal: env.signal,
        timeoutMs: (p.duration + 120) * 1000,
      });
      const error = execFailure(result);
      if (error) return { status: "failure", error: `the capture failed: ${error}`, objects };
      if (result.stdout.length === 0) {
        return { status: "failure", error: "the capture failed: the pcap file is empty", objects };
      }
      return {
        status: "success",
        output: `a tcpdump capture of ${p.duration}s has been taken in the pod '${ref.name}' in the namespace '${ref.namespace}'`,
        objects,
        data: {
          name: "tcpdump.pcap",
          objects: { pod: ref.name, namespace: ref.namespace },
          bytes: result.stdout,
          contentType: "application/vnd.tcpdump.pcap",
        },
      };
    }),
});
