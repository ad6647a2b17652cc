/**
 * The Helm chart (deploy/helm/falco-talon): `helm lint`; `helm template` with the default
 * values, with NATS + a chart-made auth Secret + TLS, and with existing Secrets; every rendered
 * object created on the real API server with server-side dry run; the rendered config.yaml
 * checked against our config schema and run by the real server on a kubelet-like file tree
 * (ConfigMap `..data` symlinks, swapped for a hot reload); the ClusterRole compared with what
 * `falco-talon rbac` prints; the committed manifests and values compared with a fresh render.
 * Helm is built from its Go module (scripts/servers/helm.sh); when it cannot be, these tests fail.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type {
  KubernetesObject,
  V1ClusterRole,
  V1ConfigMap,
  V1Deployment,
  V1Secret,
  V1Service,
} from "@kubernetes/client-node";
import { parse, parseAllDocuments } from "yaml";
import {
  CHART_DIR,
  EXAMPLE_RULES_PATH,
  expectedValuesYaml,
  helmBinary,
  MANIFESTS_PATH,
  REPO_ROOT,
  renderChart,
  renderManifests,
  runHelm,
  VALUES_PATH,
} from "../../scripts/deploy/chart.js";
import { loadConfig } from "../../src/config/load.js";
import { makeTestCertificates, type TestCertificates } from "../support/certs.js";
import { createNamespace, deleteNamespace, getTestCluster } from "../support/k8s.js";
import { startServerProcess } from "../support/server.js";

let helmBuild: { path: string } | { error: Error } | undefined;
/** The Helm binary; throws (failing each test) with the build's error when it cannot be built (tried once). */
function helm(): string {
  if (!helmBuild) {
    try {
      helmBuild = { path: helmBinary() };
    } catch (err) {
      helmBuild = { error: err as Error };
    }
  }
  if ("error" in helmBuild) throw helmBuild.error;
  return helmBuild.path;
}

type Obj = KubernetesObject & Record<string, unknown>;

function objects(rendered: string): Obj[] {
  return parseAllDocuments(rendered)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

function find<T>(objs: Obj[], kind: string, name?: string): T {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  assert.equal(
    found.length,
    1,
    `one ${kind}${name ? ` ${name}` : ""} in ${objs.map((o) => o.kind).join(", ")}`,
  );
  return found[0] as T;
}

/** Keys present in the rendered config that the schema dropped (zod strips unknown keys). */
function unknownKeys(raw: unknown, parsed: unknown, prefix = ""): string[] {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(raw)) {
    const path = prefix ? `${prefix}.${k}` : k;
    const p = (parsed as Record<string, unknown>)[k];
    if (p === undefined) out.push(path);
    else if (path !== "notifiers") out.push(...unknownKeys(v, p, path));
  }
  return out;
}

/** The rendered config.yaml, parsed raw and through our config schema (throws on invalid keys). */
function renderedConfig(objs: Obj[], fullname: string) {
  const text = find<V1ConfigMap>(objs, "ConfigMap", `${fullname}-config`).data?.["config.yaml"] ?? "";
  const dir = mkdtempSync(join(tmpdir(), "falco-talon-chart-config-"));
  try {
    writeFileSync(join(dir, "config.yaml"), text);
    const { config } = loadConfig({ file: join(dir, "config.yaml"), env: {} });
    return { text, raw: parse(text) as Record<string, unknown>, config };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Creates every object with server-side dry run (dryRun=All) in a real namespace. */
async function dryRunApply(rendered: (namespace: string) => string): Promise<Obj[]> {
  const { kube } = await getTestCluster();
  const namespace = await createNamespace(kube, "helm");
  try {
    const objs = objects(rendered(namespace));
    for (const obj of objs) {
      try {
        const created = await kube.objects.create(obj, undefined, "All");
        assert.equal(created.kind, obj.kind);
        assert.equal(created.metadata?.name, obj.metadata?.name);
      } catch (err) {
        const body = (err as { body?: unknown }).body;
        assert.fail(
          `server-side dry run of ${obj.kind} ${obj.metadata?.name} failed: ${String(err)} ${JSON.stringify(body ?? "")}`,
        );
      }
    }
    return objs;
  } finally {
    await deleteNamespace(kube, namespace);
  }
}

const podSpec = (d: V1Deployment) => {
  const spec = d.spec?.template.spec;
  assert.ok(spec, "the Deployment has a pod spec");
  const container = spec.containers[0];
  assert.ok(container, "the Deployment has a container");
  return { spec, container };
};

/**
 * Lays out a volume like the kubelet does for a ConfigMap or Secret: the files live in a
 * timestamped folder, `..data` links to it, and each name links to `..data/<name>`.
 * Returns a function that swaps in new contents atomically (a `..data` rename), as on update.
 */
function kubeletVolume(dir: string, files: Record<string, string>): (next: Record<string, string>) => void {
  mkdirSync(dir, { recursive: true });
  let generation = 0;
  const writeGeneration = (contents: Record<string, string>) => {
    const gen = `..2026_11_23_00_00_0${generation++}.000000000`;
    mkdirSync(join(dir, gen));
    for (const [name, text] of Object.entries(contents)) writeFileSync(join(dir, gen, name), text);
    return gen;
  };
  symlinkSync(writeGeneration(files), join(dir, "..data"));
  for (const name of Object.keys(files)) symlinkSync(join("..data", name), join(dir, name));
  return (next) => {
    const gen = writeGeneration(next);
    symlinkSync(gen, join(dir, "..data_tmp"));
    renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
  };
}

function secretData(secret: V1Secret): Record<string, string> {
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
  );
}

function httpsCall(
  url: string,
  opts: {
    method: string;
    ca: string;
    body?: string;
    headers?: Record<string, string>;
    cert?: string;
    key?: string;
  },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: opts.method, ca: opts.ca, cert: opts.cert, key: opts.key, headers: opts.headers },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

const EVENT = JSON.stringify({
  rule: "Terminal shell in container",
  priority: "Warning",
  output: "A shell was spawned",
  output_fields: { "k8s.ns.name": "default", "k8s.pod.name": "nginx" },
});

describe("Helm chart deploy/helm/falco-talon", () => {
  let certDir = "";
  let certs: TestCertificates;
  before(() => {
    certDir = mkdtempSync(join(tmpdir(), "falco-talon-chart-certs-"));
    certs = makeTestCertificates(certDir);
  });
  after(() => rmSync(certDir, { recursive: true, force: true }));

  const natsAuthTls = () => `
replicaCount: 2
nats:
  url: nats://nats-0.nats.svc:4222,nats://nats-1.nats.svc:4222
  replicas: 3
  existingSecret: nats-credentials
auth:
  enabled: true
  token: chart-made-token
  protect: [intake, metrics]
tls:
  enabled: true
  cert: ${JSON.stringify(certs.cert)}
  key: ${JSON.stringify(certs.key)}
  ca: ${JSON.stringify(certs.ca)}
  requireClientCert: true
`;
  const existingSecrets = `
auth:
  enabled: true
  existingSecret: talon-bearer
  existingSecretKey: bearer
tls:
  enabled: true
  existingSecret: talon-serving-cert
`;

  it("helm lint passes with the default values and with NATS, auth and TLS", () => {
    const out = runHelm(helm(), ["lint", CHART_DIR, "--strict"]);
    assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    const dir = mkdtempSync(join(tmpdir(), "falco-talon-lint-"));
    try {
      writeFileSync(join(dir, "values.yaml"), natsAuthTls());
      assert.match(
        runHelm(helm(), ["lint", CHART_DIR, "--strict", "--values", join(dir, "values.yaml")]),
        /0 chart\(s\) failed/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Chart.yaml's appVersion is package.json's version and the image tag", () => {
    const chart = parse(readFileSync(join(CHART_DIR, "Chart.yaml"), "utf8")) as { appVersion: string };
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    assert.equal(chart.appVersion, pkg.version);
    const d = find<V1Deployment>(objects(renderChart(helm(), "talon", "falco")), "Deployment");
    assert.equal(podSpec(d).container.image, `falco-talon:${pkg.version}`);
  });

  it("defaults: every object passes server-side dry run; port 2803, rules folder, non-root, probes", async () => {
    const objs = await dryRunApply((ns) => renderChart(helm(), "falco-talon", ns));
    assert.deepEqual(objs.map((o) => o.kind).sort(), [
      "ClusterRole",
      "ClusterRoleBinding",
      "ConfigMap",
      "ConfigMap",
      "Deployment",
      "Service",
      "ServiceAccount",
    ]);
    const d = find<V1Deployment>(objs, "Deployment", "falco-talon");
    const { spec, container } = podSpec(d);
    assert.deepEqual(container.args, ["server", "-c", "/etc/falco-talon/config.yaml"]);
    assert.deepEqual(container.ports, [{ name: "http", containerPort: 2803, protocol: "TCP" }]);
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      assert.deepEqual(probe?.httpGet, { path: "/healthz", port: "http", scheme: "HTTP" });
    }
    assert.equal(spec.securityContext?.runAsNonRoot, true);
    assert.ok((spec.securityContext?.runAsUser ?? 0) > 0, "a non-root uid");
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext?.capabilities?.drop, ["ALL"]);
    assert.equal(spec.serviceAccountName, "falco-talon");
    const mounts = Object.fromEntries((container.volumeMounts ?? []).map((m) => [m.name, m]));
    // The rules ConfigMap is a whole folder (never subPath), so the kubelet's ..data swap is seen.
    assert.deepEqual(mounts.rules, { name: "rules", mountPath: "/etc/falco-talon/rules.d", readOnly: true });
    assert.equal(mounts.config?.mountPath, "/etc/falco-talon/config.yaml");
    assert.equal(mounts.tmp?.mountPath, "/tmp");
    const volumes = Object.fromEntries((spec.volumes ?? []).map((v) => [v.name, v]));
    assert.equal(volumes.rules?.configMap?.name, "falco-talon-rules");
    assert.equal(volumes.config?.configMap?.name, "falco-talon-config");
    assert.equal(container.env, undefined, "no env without NATS credentials or extraEnv");

    const service = find<V1Service>(objs, "Service", "falco-talon");
    assert.deepEqual(service.spec?.ports, [
      { name: "http", port: 2803, targetPort: "http", protocol: "TCP" },
    ]);
    assert.deepEqual(service.spec?.selector, d.spec?.selector.matchLabels);

    const { raw, config } = renderedConfig(objs, "falco-talon");
    assert.deepEqual(unknownKeys(raw, config), [], "every config.yaml key is one of the schema's");
    assert.equal(config.listen_port, 2803);
    assert.deepEqual(config.rules_files, ["/etc/falco-talon/rules.d"]);
    assert.equal(config.queue.nats.url, "");
    assert.equal(config.auth.token_file, "");
    assert.equal(config.tls.cert_file, "");

    const rules = find<V1ConfigMap>(objs, "ConfigMap", "falco-talon-rules");
    assert.equal(rules.data?.["rules.yaml"], readFileSync(EXAMPLE_RULES_PATH, "utf8"));
    const binding = find<{ subjects: { name: string; namespace: string }[]; roleRef: { name: string } }>(
      objs,
      "ClusterRoleBinding",
    );
    assert.equal(binding.roleRef.name, "falco-talon");
    assert.equal(binding.subjects[0]?.name, "falco-talon");
  });

  it("the ClusterRole's rules are what `falco-talon rbac` prints for the chart's default rules", () => {
    const objs = objects(renderChart(helm(), "falco-talon", "falco"));
    const rulesData = find<V1ConfigMap>(objs, "ConfigMap", "falco-talon-rules").data ?? {};
    const dir = mkdtempSync(join(tmpdir(), "falco-talon-chart-rbac-"));
    try {
      const { text } = renderedConfig(objs, "falco-talon");
      writeFileSync(join(dir, "config.yaml"), text);
      const args = ["--import", "tsx", "src/cli/main.ts", "rbac", "-c", join(dir, "config.yaml")];
      // In file-name order, as config.yaml's rules_files lists them.
      for (const name of Object.keys(rulesData).sort()) {
        writeFileSync(join(dir, name), rulesData[name] as string);
        args.push("-r", join(dir, name));
      }
      const r = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const printed = parse(r.stdout) as V1ClusterRole;
      const role = find<V1ClusterRole>(objs, "ClusterRole", "falco-talon");
      assert.ok((printed.rules ?? []).length > 0);
      assert.deepEqual(role.rules, printed.rules, "values.yaml rbac.rules drifted: run npm run deploy:gen");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("NATS + chart-made auth Secret + TLS: dry run passes; env, Secrets, mounts and config are wired", async () => {
    const objs = await dryRunApply((ns) => renderChart(helm(), "talon", ns, [natsAuthTls()]));
    const d = find<V1Deployment>(objs, "Deployment", "talon-falco-talon");
    const { spec, container } = podSpec(d);
    assert.equal(d.spec?.replicas, 2);
    assert.deepEqual(
      (container.env ?? []).map((e) => [
        e.name,
        e.valueFrom?.secretKeyRef?.name,
        e.valueFrom?.secretKeyRef?.key,
      ]),
      [
        ["QUEUE_NATS_USER", "nats-credentials", "user"],
        ["QUEUE_NATS_PASSWORD", "nats-credentials", "password"],
        ["QUEUE_NATS_TOKEN", "nats-credentials", "token"],
      ],
    );
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      assert.equal(probe?.httpGet?.scheme, "HTTPS");
    }
    const service = find<V1Service>(objs, "Service");
    assert.equal(service.spec?.ports?.[0]?.name, "https");
    assert.equal(service.spec?.ports?.[0]?.port, 2803);

    const volumes = Object.fromEntries((spec.volumes ?? []).map((v) => [v.name, v]));
    assert.equal(volumes.auth?.secret?.secretName, "talon-falco-talon-auth");
    assert.deepEqual(volumes.auth?.secret?.items, [{ key: "token", path: "token" }]);
    assert.equal(volumes.tls?.secret?.secretName, "talon-falco-talon-tls");
    const mounts = Object.fromEntries((container.volumeMounts ?? []).map((m) => [m.name, m]));
    assert.equal(mounts.auth?.mountPath, "/etc/falco-talon/auth");
    assert.equal(mounts.auth?.subPath, undefined, "a folder mount, so a rotated token is seen");
    assert.equal(mounts.tls?.mountPath, "/etc/falco-talon/tls");

    const auth = find<V1Secret>(objs, "Secret", "talon-falco-talon-auth");
    assert.deepEqual(secretData(auth), { token: "chart-made-token" });
    const tls = find<V1Secret>(objs, "Secret", "talon-falco-talon-tls");
    assert.equal(tls.type, "kubernetes.io/tls");
    assert.deepEqual(secretData(tls), { "tls.crt": certs.cert, "tls.key": certs.key, "ca.crt": certs.ca });

    const { raw, config } = renderedConfig(objs, "talon-falco-talon");
    assert.deepEqual(unknownKeys(raw, config), []);
    assert.deepEqual(config.queue.nats, {
      ...config.queue.nats,
      url: "nats://nats-0.nats.svc:4222,nats://nats-1.nats.svc:4222",
      stream: "FALCO_TALON_EVENTS",
      partitions: 16,
      replicas: 3,
      ack_wait_seconds: 30,
      idempotency_ttl_seconds: 3600,
    });
    assert.equal(config.auth.token_file, "/etc/falco-talon/auth/token");
    assert.deepEqual(config.auth.protect, ["intake", "metrics"]);
    assert.deepEqual(config.tls, {
      cert_file: "/etc/falco-talon/tls/tls.crt",
      key_file: "/etc/falco-talon/tls/tls.key",
      client_ca_file: "/etc/falco-talon/tls/ca.crt",
      require_client_cert: true,
    });
    // The env names the Deployment sets are the ones our config loader maps to queue.nats.*.
    const dir = mkdtempSync(join(tmpdir(), "falco-talon-chart-env-"));
    try {
      writeFileSync(join(dir, "config.yaml"), renderedConfig(objs, "talon-falco-talon").text);
      const withEnv = loadConfig({
        file: join(dir, "config.yaml"),
        env: { QUEUE_NATS_USER: "u", QUEUE_NATS_PASSWORD: "p", QUEUE_NATS_TOKEN: "t" },
      }).config;
      assert.deepEqual(
        [withEnv.queue.nats.user, withEnv.queue.nats.password, withEnv.queue.nats.token],
        ["u", "p", "t"],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("existing auth and TLS Secrets: dry run passes and the chart makes no Secret of its own", async () => {
    const objs = await dryRunApply((ns) => renderChart(helm(), "talon", ns, [existingSecrets]));
    assert.equal(objs.filter((o) => o.kind === "Secret").length, 0);
    const { spec } = podSpec(find<V1Deployment>(objs, "Deployment"));
    const volumes = Object.fromEntries((spec.volumes ?? []).map((v) => [v.name, v]));
    assert.equal(volumes.auth?.secret?.secretName, "talon-bearer");
    assert.deepEqual(volumes.auth?.secret?.items, [{ key: "bearer", path: "token" }]);
    assert.equal(volumes.tls?.secret?.secretName, "talon-serving-cert");
    const { config } = renderedConfig(objs, "talon-falco-talon");
    assert.equal(config.auth.token_file, "/etc/falco-talon/auth/token");
    assert.equal(config.tls.client_ca_file, "", "no client CA unless requireClientCert");
  });

  it("values that cannot work fail the render with a message saying why", () => {
    const cases: [string, RegExp][] = [
      ["auth:\n  enabled: true\n", /auth.enabled needs auth.token or auth.existingSecret/],
      [
        "auth:\n  enabled: true\n  token: t\n  protect: [intake, health]\n",
        /auth.protect cannot hold 'health'/,
      ],
      ["tls:\n  enabled: true\n", /tls.enabled needs tls.existingSecret, or tls.cert and tls.key/],
      ["rules: null\n", /at least one rules file/],
      ['rules:\n  "../x.yaml": "[]"\n', /'..\/x.yaml' is not a valid rules file name/],
      [
        'rules:\n  "notes.txt": "[]"\n',
        /'notes.txt' is not a valid rules file name .*ending in .yaml or .yml/,
      ],
    ];
    for (const [values, message] of cases) {
      assert.throws(() => renderChart(helm(), "talon", "falco", [values]), message, values);
    }
  });

  it("only config.yaml rolls the pods: editing or adding a rules file leaves the pod template alone", () => {
    const podTemplate = (values: string[]) =>
      JSON.stringify(
        find<V1Deployment>(objects(renderChart(helm(), "t", "falco", values)), "Deployment").spec?.template,
      );
    const base = podTemplate([]);
    assert.equal(
      podTemplate(['rules:\n  rules.yaml: "- action: A\\n  actionner: kubernetes:terminate\\n"\n']),
      base,
    );
    assert.notEqual(podTemplate(["config:\n  log_level: debug\n"]), base);
    assert.equal(
      podTemplate(['rules:\n  00-more.yaml: "[]"\n']),
      base,
      "a new rules file is picked up from the folder, without a restart",
    );
  });

  it("the rendered config and rules run on the real server, laid out as the kubelet does; a ..data swap that adds a file hot-reloads", async () => {
    const objs = objects(renderChart(helm(), "falco-talon", "falco"));
    const root = mkdtempSync(join(tmpdir(), "falco-talon-pod-"));
    try {
      const rules = find<V1ConfigMap>(objs, "ConfigMap", "falco-talon-rules").data ?? {};
      const swapRules = kubeletVolume(join(root, "rules.d"), rules);
      const { text } = renderedConfig(objs, "falco-talon");
      const config = text.replaceAll("/etc/falco-talon", root);
      const server = await startServerProcess({
        config,
        rules: {},
        env: { LISTEN_ADDRESS: "127.0.0.1", LOG_LEVEL: "info" },
      });
      try {
        assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
        assert.equal((await server.post(EVENT)).status, 200);
        const extra = `
- rule: Chart hot reload
  match:
    rules:
      - Chart hot reload
  dry_run: true
  actions:
    - action: Terminate Pod
`;
        // A ConfigMap update that adds a file: the kubelet swaps ..data and links the new name.
        swapRules({ ...rules, "50-extra.yaml": extra });
        symlinkSync(join("..data", "50-extra.yaml"), join(root, "rules.d", "50-extra.yaml"));
        const reloaded = await server.waitForLog(
          (l) => typeof l.message === "string" && l.message.includes("successfully reloaded"),
          30_000,
        );
        assert.equal(reloaded.rules, 3);
      } finally {
        await server.stop();
        rmSync(server.dir, { recursive: true, force: true });
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("with auth and TLS the rendered config serves HTTPS, keeps /healthz open and reads the token from the Secret's file", async () => {
    const objs = objects(renderChart(helm(), "talon", "falco", [natsAuthTls()]));
    const root = mkdtempSync(join(tmpdir(), "falco-talon-pod-"));
    try {
      kubeletVolume(
        join(root, "rules.d"),
        find<V1ConfigMap>(objs, "ConfigMap", "talon-falco-talon-rules").data ?? {},
      );
      const authSecret = find<V1Secret>(objs, "Secret", "talon-falco-talon-auth");
      const { spec } = podSpec(find<V1Deployment>(objs, "Deployment"));
      const items = spec.volumes?.find((v) => v.name === "auth")?.secret?.items ?? [];
      const authData = secretData(authSecret);
      kubeletVolume(
        join(root, "auth"),
        Object.fromEntries(items.map((i) => [i.path, authData[i.key] ?? ""])),
      );
      kubeletVolume(join(root, "tls"), secretData(find<V1Secret>(objs, "Secret", "talon-falco-talon-tls")));
      // No NATS server here: the in-process queue. (An empty QUEUE_NATS_URL counts as unset, as in
      // Talon, so the rendered URL is blanked in the file instead.)
      const rendered = renderedConfig(objs, "talon-falco-talon").text.replaceAll("/etc/falco-talon", root);
      const config = rendered.replace(/^(\s*url:\s*)["']?nats:\/\/[^\n]*$/m, '$1""');
      assert.notEqual(config, rendered, "the rendered config has a NATS url");
      const server = await startServerProcess({
        config,
        rules: {},
        env: { LISTEN_ADDRESS: "127.0.0.1" },
      });
      try {
        const url = server.url.replace("http:", "https:");
        assert.equal(await httpsCall(`${url}/healthz`, { method: "GET", ca: certs.ca }), 200);
        assert.equal(await httpsCall(`${url}/`, { method: "POST", ca: certs.ca, body: EVENT }), 401);
        const accepted = await httpsCall(`${url}/`, {
          method: "POST",
          ca: certs.ca,
          body: EVENT,
          cert: certs.clientCert,
          key: certs.clientKey,
          headers: { Authorization: "Bearer chart-made-token" },
        });
        assert.equal(accepted, 200);
      } finally {
        await server.stop();
        rmSync(server.dir, { recursive: true, force: true });
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("deploy/manifests/falco-talon.yaml and values.yaml's generated parts are up to date", async () => {
    const values = readFileSync(VALUES_PATH, "utf8");
    assert.equal(
      await expectedValuesYaml(values, readFileSync(EXAMPLE_RULES_PATH, "utf8")),
      values,
      "values.yaml drifted from examples/rules.yaml or falco-talon rbac: run npm run deploy:gen",
    );
    assert.equal(
      readFileSync(MANIFESTS_PATH, "utf8"),
      renderManifests(helm()),
      "deploy/manifests drifted from the chart: run npm run deploy:gen",
    );
  });

  it("the committed manifests pass server-side dry run", async () => {
    const manifests = readFileSync(MANIFESTS_PATH, "utf8");
    const objs = await dryRunApply((ns) => manifests.replaceAll("namespace: falco\n", `namespace: ${ns}\n`));
    assert.equal(objs.length, 7);
  });
});
