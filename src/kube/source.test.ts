import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveKubeSource, SERVICE_ACCOUNT_TOKEN } from "./source.js";

const probe = (env: Record<string, string>, files: string[]) => ({
  env,
  exists: (p: string) => files.includes(p),
  home: "/home/u",
});

test("the kubeconfig setting wins, and a missing file is named", () => {
  assert.deepEqual(resolveKubeSource("/k", probe({}, ["/k"])), { kind: "file", path: "/k" });
  const none = resolveKubeSource("/missing", probe({}, []));
  assert.equal(none.kind, "none");
  assert.match((none as { message: string }).message, /kubeconfig file '\/missing' doesn't exist/);
});

test("empty kubeconfig: in-cluster, then ~/.kube/config", () => {
  const env = { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" };
  assert.deepEqual(resolveKubeSource("", probe(env, [SERVICE_ACCOUNT_TOKEN])), { kind: "in-cluster" });
  assert.deepEqual(resolveKubeSource("", probe({}, ["/home/u/.kube/config"])), {
    kind: "file",
    path: "/home/u/.kube/config",
  });
});

test("nothing found: the message names everything looked for", () => {
  const none = resolveKubeSource("", probe({}, []));
  assert.equal(none.kind, "none");
  const m = (none as { message: string }).message;
  assert.match(m, /in-cluster service account \(KUBERNETES_SERVICE_HOST\/PORT are unset\)/);
  assert.match(m, /KUBECONFIG/);
  assert.match(m, /kubeconfig:/);
  assert.match(m, /\/home\/u\/\.kube\/config \(doesn't exist\)/);
  const tokenless = resolveKubeSource(
    "",
    probe({ KUBERNETES_SERVICE_HOST: "h", KUBERNETES_SERVICE_PORT: "1" }, []),
  ) as { message: string };
  assert.match(tokenless.message, /serviceaccount\/token doesn't exist/);
});
