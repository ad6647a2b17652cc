/**
 * The heavy optional SDKs (AWS, Google Cloud, nodemailer, the OpenTelemetry SDK and OTLP/gRPC
 * exporter), the Kubernetes client, the NATS client and pino-pretty stay out of memory until
 * something that needs them is built. A fresh Node process imports every plug-in registry and the server
 * module, and a module-loader hook records each module Node resolves (ES modules) next to
 * `require.cache` (CommonJS packages loaded through them).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

const HEAVY = [
  "@aws-sdk/client-s3",
  "@aws-sdk/client-lambda",
  "@aws-sdk/client-sts",
  "@aws-sdk/lib-storage",
  "@google-cloud/storage",
  "google-auth-library",
  "nodemailer",
  "@opentelemetry/exporter-trace-otlp-grpc",
  // The tracing SDK: only when traces are exported (core also for the first trace headers).
  "@opentelemetry/sdk-trace-base",
  "@opentelemetry/resources",
  "@opentelemetry/core",
  "@kubernetes/client-node",
  // Imported by @kubernetes/client-node (its OIDC authenticator).
  "jose",
  "openid-client",
  "@nats-io/jetstream",
  "@nats-io/kv",
  "@nats-io/transport-node",
  "pino-pretty",
];

/** What exporting traces loads. */
const TRACING = [
  "@opentelemetry/exporter-trace-otlp-grpc",
  "@opentelemetry/sdk-trace-base",
  "@opentelemetry/resources",
  "@opentelemetry/core",
];

/**
 * Files of a heavy package that may be loaded at rest: src/kube/call.ts needs the Kubernetes
 * client's error and observable classes synchronously and takes them from these two small
 * modules (no imports of their own) rather than the library's index.
 */
const SMALL_MODULES = [
  "/node_modules/@kubernetes/client-node/dist/gen/apis/exception.js",
  "/node_modules/@kubernetes/client-node/dist/gen/rxjsStub.js",
];

const dir = mkdtempSync(join(tmpdir(), "falco-talon-lazy-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const src = (path: string) => JSON.stringify(pathToFileURL(join(ROOT, "src", path)).href);

/** Appends every resolved module URL to the file given at registration. */
const HOOKS = `
import { appendFileSync } from "node:fs";
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  appendFileSync(out, result.url + "\\n");
  return result;
}
`;

/** A kubeconfig naming an unreachable server: building a client makes no request. */
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`;

/** Prints, as JSON, which HEAVY packages are loaded at rest and after building some clients. */
const SCRIPT = `
import { readFileSync } from "node:fs";
import { createRequire, register } from "node:module";
const heavy = ${JSON.stringify(HEAVY)};
const small = ${JSON.stringify(SMALL_MODULES)};
const out = ${JSON.stringify(join(dir, "resolved.txt"))};
register(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)}, { data: { out } });
const cache = createRequire(import.meta.url).cache;
function loaded() {
  const files = [...readFileSync(out, "utf8").split("\\n"), ...Object.keys(cache)]
    .filter((f) => !small.some((s) => f.endsWith(s)));
  return heavy.filter((pkg) => files.some((f) => f.includes("/node_modules/" + pkg + "/")));
}
await import(${src("actionners/registry.ts")});
await import(${src("outputs/registry.ts")});
await import(${src("notifiers/registry.ts")});
await import(${src("contexts/registry.ts")});
await import(${src("app/server.ts")});
const { createLogger } = await import(${src("logging/logger.ts")});
createLogger("json");
const atRest = loaded();
const { configSchema } = await import(${src("config/schema.ts")});
const config = configSchema.parse({});
const { awsS3Client } = await import(${src("outputs/s3.ts")});
await awsS3Client(config);
const afterS3 = loaded();
const { createTracing } = await import(${src("tracing/tracing.ts")});
const tracing = await createTracing({ enabled: true, endpoint: "127.0.0.1", port: 4317, insecure: true, timeoutSeconds: 1 });
await tracing.shutdown();
const afterTracing = loaded();
const { lazyKubeClient } = await import(${src("kube/client.ts")});
await lazyKubeClient(${JSON.stringify(join(dir, "kubeconfig"))})();
const afterKube = loaded();
createLogger("text");
const afterText = loaded();
console.log(JSON.stringify({ atRest, afterS3, afterTracing, afterKube, afterText }));
`;

describe("heavy packages", () => {
  writeFileSync(join(dir, "hooks.mjs"), HOOKS);
  writeFileSync(join(dir, "resolved.txt"), "");
  writeFileSync(join(dir, "probe.mjs"), SCRIPT);
  writeFileSync(join(dir, "kubeconfig"), KUBECONFIG);
  const run = spawnSync(process.execPath, ["--import", "tsx", join(dir, "probe.mjs")], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });

  it("are not loaded by the plug-in registries and the server module", () => {
    assert.equal(run.status, 0, `probe failed:\n${run.stdout}${run.stderr}`);
    const report = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "");
    assert.deepEqual(report.atRest, []);
  });

  it("are loaded when a plug-in builds a client, and only the ones it needs", () => {
    const report = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "");
    // The S3 client settings come from the shared AWS helper, which does not need STS without a role.
    assert.deepEqual(report.afterS3, ["@aws-sdk/client-s3"]);
    assert.deepEqual(report.afterTracing, ["@aws-sdk/client-s3", ...TRACING]);
  });

  it("include the Kubernetes client, loaded when the first Kubernetes client is built", () => {
    const report = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "");
    assert.deepEqual(report.afterKube, [
      "@aws-sdk/client-s3",
      ...TRACING,
      "@kubernetes/client-node",
      "jose",
      "openid-client",
    ]);
  });

  it("include pino-pretty, loaded only for the text log formats", () => {
    const report = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "");
    assert.deepEqual(report.afterText, [
      "@aws-sdk/client-s3",
      ...TRACING,
      "@kubernetes/client-node",
      "jose",
      "openid-client",
      "pino-pretty",
    ]);
  });
});
