/**
 * Kubernetes clients, built lazily from `kubeconfig` (or in-cluster config when empty). The
 * client library itself is loaded when the first client is built (library.ts).
 */
import { createHash } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import type * as k8s from "@kubernetes/client-node";
import { errorText } from "../error-text.js";
import { kubeLibrary } from "./library.js";
import { resolveKubeSource } from "./source.js";

export interface KubeClient {
  config: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  batch: k8s.BatchV1Api;
  networking: k8s.NetworkingV1Api;
  rbac: k8s.RbacAuthorizationV1Api;
  policy: k8s.PolicyV1Api;
  objects: k8s.KubernetesObjectApi;
}

/**
 * A client for the `kubeconfig` setting (empty: in-cluster, then ~/.kube/config). Throws the
 * message of {@link resolveKubeSource} when there is no cluster to talk to.
 */
export async function createKubeClient(kubeconfigPath: string): Promise<KubeClient> {
  const source = resolveKubeSource(kubeconfigPath);
  // Checked before loading the library: a server without a cluster never loads it.
  if (source.kind === "none") throw new Error(source.message);
  const k8s = await kubeLibrary();
  const config = new k8s.KubeConfig();
  if (source.kind === "file") config.loadFromFile(source.path);
  else config.loadFromCluster();
  reuseConnections(config);
  return {
    config,
    core: config.makeApiClient(k8s.CoreV1Api),
    apps: config.makeApiClient(k8s.AppsV1Api),
    batch: config.makeApiClient(k8s.BatchV1Api),
    networking: config.makeApiClient(k8s.NetworkingV1Api),
    rbac: config.makeApiClient(k8s.RbacAuthorizationV1Api),
    policy: config.makeApiClient(k8s.PolicyV1Api),
    objects: k8s.KubernetesObjectApi.makeApiClient(config),
  };
}

/**
 * A client built on first use and then shared (by all plug-ins of an engine); concurrent first
 * calls share one build. The first call also loads the client library (~0.3–1.5 s). A failure
 * says what was looked for, or why the configuration could not be loaded; it is retried next call.
 */
export function lazyKubeClient(kubeconfigPath: string): () => Promise<KubeClient> {
  let client: Promise<KubeClient> | undefined;
  return () => {
    client ??= createKubeClient(kubeconfigPath).catch((err: unknown) => {
      client = undefined;
      const message = errorText(err);
      // The source's own message already says what was looked for.
      if (message.startsWith("no Kubernetes cluster")) throw new Error(message);
      throw new Error(`can't load the Kubernetes configuration: ${message}`);
    });
    return client;
  };
}

type AgentFactory = (cluster: k8s.Cluster | null, options: https.AgentOptions) => http.Agent;

/**
 * client-node 1.4 builds a new https.Agent for every request, so every API call pays a TCP and
 * TLS handshake; that capped terminates at ~64 pods/s in the bench. This keeps one keep-alive
 * agent per TLS identity (CA, client certificate and key, verification, server name), so a
 * rotated certificate still gets a fresh agent. Proxied clusters keep the library's agents.
 * Bearer tokens are request headers, not agent options, so token rotation is unaffected.
 */
export function reuseConnections(config: k8s.KubeConfig): { agents: () => http.Agent[] } {
  const target = config as unknown as { createAgent: AgentFactory };
  const libraryAgent = target.createAgent.bind(config);
  const agents = new Map<string, http.Agent>();
  target.createAgent = (cluster, options) => {
    if (!cluster || cluster.proxyUrl) return libraryAgent(cluster, options);
    const plain = cluster.server.startsWith("http:");
    const key = createHash("sha256")
      .update(
        JSON.stringify([
          cluster.server,
          plain,
          options.rejectUnauthorized,
          options.servername,
          options.timeout,
          ...[options.ca, options.cert, options.key, options.pfx, options.passphrase].map((v) =>
            v === undefined ? null : String(v),
          ),
        ]),
      )
      .digest("hex");
    let agent = agents.get(key);
    if (!agent) {
      if (plain && !cluster.skipTLSVerify) {
        // The library's own rule for plain-HTTP servers.
        throw new Error("HTTP protocol is not allowed when skipTLSVerify is not set or false");
      }
      agent = plain
        ? new http.Agent({ ...options, keepAlive: true })
        : new https.Agent({ ...options, keepAlive: true });
      agents.set(key, agent);
    }
    return agent;
  };
  return { agents: () => [...agents.values()] };
}
