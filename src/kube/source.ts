/**
 * Where the Kubernetes credentials come from: the `kubeconfig` setting (env KUBECONFIG), else the
 * in-cluster service account, else `~/.kube/config`. When none exists the engine still starts
 * (rules without Kubernetes actions work), warns once at startup, and every Kubernetes action
 * fails with the same message naming what was looked for.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export type KubeSource =
  | { kind: "file"; path: string }
  | { kind: "in-cluster" }
  | { kind: "none"; message: string };

export interface KubeSourceProbe {
  env: NodeJS.ProcessEnv;
  exists(path: string): boolean;
  home: string;
}

const defaultProbe = (): KubeSourceProbe => ({ env: process.env, exists: existsSync, home: homedir() });

/** Resolves the credentials source for the `kubeconfig` setting (an empty string: look around). */
export function resolveKubeSource(kubeconfig: string, probe: KubeSourceProbe = defaultProbe()): KubeSource {
  if (kubeconfig !== "") {
    if (!probe.exists(kubeconfig)) {
      return {
        kind: "none",
        message: `no Kubernetes cluster: the kubeconfig file '${kubeconfig}' doesn't exist`,
      };
    }
    return { kind: "file", path: kubeconfig };
  }
  const host = probe.env.KUBERNETES_SERVICE_HOST ?? "";
  const port = probe.env.KUBERNETES_SERVICE_PORT ?? "";
  if (host !== "" && port !== "" && probe.exists(SERVICE_ACCOUNT_TOKEN)) return { kind: "in-cluster" };
  const home = join(probe.home, ".kube", "config");
  if (probe.exists(home)) return { kind: "file", path: home };
  const inCluster =
    host === "" || port === ""
      ? "KUBERNETES_SERVICE_HOST/PORT are unset"
      : `${SERVICE_ACCOUNT_TOKEN} doesn't exist`;
  return {
    kind: "none",
    message:
      "no Kubernetes cluster configured: looked for the in-cluster service account " +
      `(${inCluster}), the kubeconfig setting (kubeconfig: in the config file or env KUBECONFIG; empty) ` +
      `and ${home} (doesn't exist)`,
  };
}
