/**
 * @kubernetes/client-node, loaded on first use: importing it adds ~70 MiB of memory (its
 * generated API models, plus jose and openid-client), which a server that never runs a
 * Kubernetes action should not pay. The first Kubernetes action waits for the load instead
 * (~0.3–1.5 s on a 2-core machine). Types are free: `import type` from the package loads nothing.
 * Code that needs a class synchronously imports the package's small internal module instead
 * (see call.ts).
 */
import type * as k8s from "@kubernetes/client-node";
import { once } from "../once.js";

export type KubeLibrary = typeof k8s;

/** The library's module, imported once (the same module instance a static import gives). */
export const kubeLibrary: () => Promise<KubeLibrary> = once(() => import("@kubernetes/client-node"));
