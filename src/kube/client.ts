/**
 * Kubernetes clients, built lazily from `kubeconfig` (or in-cluster config when empty).
 */
import * as k8s from "@kubernetes/client-node";

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

export function createKubeClient(kubeconfigPath: string): KubeClient {
  const config = new k8s.KubeConfig();
  if (kubeconfigPath) config.loadFromFile(kubeconfigPath);
  else config.loadFromCluster();
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
