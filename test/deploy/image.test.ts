/**
 * The Dockerfile, without a Docker engine: its stages and settings are checked, and what its
 * runtime stage would run is reproduced in a temporary folder outside the repo — the lockfile
 * installed with the runtime stage's own `npm ci --omit=dev` command, `npm run build`'s
 * compiler output copied in as dist/ — then run with plain node: `version`, `rules check`,
 * `rbac`, and the image's default command (`server -c` the image's config.yaml) serving
 * /healthz and accepting an event.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";

const ROOT = resolve(import.meta.dirname, "../..");
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
  scripts: Record<string, string>;
};

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages and instructions (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, " ").split("\n");
  const stages: Stage[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const m = /^(\S+)\s+(.*)$/.exec(trimmed);
    assert.ok(m, `a Dockerfile instruction: ${trimmed}`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === "FROM") {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      assert.ok(from, `FROM image [AS name]: ${args}`);
      stages.push({ from: from[1]!, name: from[2], instructions: [] });
    } else {
      assert.ok(stages.length > 0, `${op} before any FROM`);
      stages.at(-1)!.instructions.push({ op, args });
    }
  }
  return stages;
}

const runs = (stage: Stage) => stage.instructions.filter((i) => i.op === "RUN").map((i) => i.args);
const only = (stage: Stage, op: string) => {
  const found = stage.instructions.filter((i) => i.op === op);
  assert.equal(found.length, 1, `one ${op} in the stage FROM ${stage.from}`);
  return found[0]!.args;
};

const stages = parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const buildStage = stages[0]!;
const runtimeStage = stages.at(-1)!;
/** The runtime stage's `npm ci ...` command (the part of its RUN line before any `&&`). */
const runtimeNpmCi = runs(runtimeStage)
  .flatMap((r) => r.split("&&").map((s) => s.trim()))
  .find((s) => s.startsWith("npm ci"));

describe("Dockerfile", () => {
  it("is multi-stage on node:24-bookworm-slim: npm ci + npm run build, then production dependencies only", () => {
    assert.equal(stages.length, 2);
    for (const s of stages) assert.equal(s.from, "node:24-bookworm-slim");
    // The image's Node line is the one CI tests besides Node 20 (scripts/node/fetch.sh's pin).
    const pinned = /^NODE_VERSION=(\d+)\./m.exec(readFileSync(join(ROOT, "scripts/node/fetch.sh"), "utf8"));
    assert.equal(pinned?.[1], "24");
    assert.equal(buildStage.name, "build");
    assert.ok(runs(buildStage).some((r) => /^npm ci\b/.test(r) && !r.includes("--omit")));
    assert.ok(runs(buildStage).includes("npm run build"));
    assert.ok(runtimeNpmCi, "the runtime stage runs npm ci");
    assert.match(runtimeNpmCi, /--omit=dev\b/);
    assert.ok(
      runtimeStage.instructions.some(
        (i) => i.op === "COPY" && /^--from=build\s+\/app\/dist\s+\.\/dist$/.test(i.args),
      ),
      "the runtime stage copies dist/ from the build stage",
    );
    assert.ok(
      !runs(runtimeStage).some((r) => r.includes("npm run build")),
      "no compiler in the runtime stage",
    );
  });

  it("runs as a numeric non-root user, exposes 2803, and starts the server by default", () => {
    const user = only(runtimeStage, "USER");
    const m = /^(\d+)(?::(\d+))?$/.exec(user);
    assert.ok(m, `USER is numeric (runAsNonRoot can verify it): ${user}`);
    assert.notEqual(Number(m[1]), 0);
    assert.equal(only(runtimeStage, "EXPOSE"), "2803");
    assert.deepEqual(JSON.parse(only(runtimeStage, "ENTRYPOINT")), ["node", "dist/src/cli/main.js"]);
    assert.deepEqual(JSON.parse(only(runtimeStage, "CMD")), ["server", "-c", "/etc/falco-talon/config.yaml"]);
    assert.equal(PKG.scripts.build, "tsc -p tsconfig.build.json");
  });

  it("copies only files that exist and that .dockerignore lets in", () => {
    const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    for (const excluded of ["node_modules", "dist", ".git"]) assert.ok(ignored.includes(excluded), excluded);
    for (const stage of stages) {
      for (const copy of stage.instructions.filter((i) => i.op === "COPY" && !i.args.startsWith("--from"))) {
        const sources = copy.args.split(/\s+/).slice(0, -1);
        for (const source of sources) {
          assert.ok(existsSync(join(ROOT, source)), `COPY source ${source} exists`);
          const top = source.split("/")[0]!;
          assert.ok(
            !ignored.includes(top) && !ignored.includes(source),
            `COPY source ${source} is not ignored`,
          );
        }
      }
    }
  });
});

describe("what the image runs, with production dependencies only and plain node", () => {
  let app = "";
  let build = "";
  before(() => {
    assert.ok(runtimeNpmCi, "the runtime stage runs npm ci");
    app = mkdtempSync(join(tmpdir(), "falco-talon-image-"));
    build = mkdtempSync(join(tmpdir(), "falco-talon-image-build-"));
    copyFileSync(join(ROOT, "package.json"), join(app, "package.json"));
    copyFileSync(join(ROOT, "package-lock.json"), join(app, "package-lock.json"));
    // The runtime stage's own command; --prefer-offline reuses the npm cache when it can.
    const [npm, ...args] = runtimeNpmCi.split(/\s+/);
    execFileSync(npm!, [...args, "--prefer-offline"], { cwd: app, stdio: ["ignore", "pipe", "pipe"] });
    // `npm run build`, into a temporary outDir.
    const [tsc, ...tscArgs] = PKG.scripts.build!.split(/\s+/);
    execFileSync(join(ROOT, "node_modules/.bin", tsc!), [...tscArgs, "--outDir", join(build, "dist")], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    cpSync(join(build, "dist"), join(app, "dist"), { recursive: true });
    cpSync(join(ROOT, "examples"), join(app, "examples"), { recursive: true });
    // COPY examples/config.yaml /etc/falco-talon/config.yaml
    mkdirSync(join(app, "etc"));
    copyFileSync(join(ROOT, "examples/config.yaml"), join(app, "etc/config.yaml"));
  });
  after(() => {
    for (const dir of [app, build]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = () => {
    const e: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production" };
    return e;
  };
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, ["dist/src/cli/main.js", ...args], {
      cwd: app,
      env: env(),
      encoding: "utf8",
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it("has no development dependency installed and only src compiled", () => {
    // The lockfile marks what only development needs (a devDependency such as @grpc/grpc-js
    // can also be a production dependency's dependency, then it is not marked).
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([path, p]) => p.dev === true && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path))
      .map(([path]) => path);
    for (const dev of ["typescript", "tsx", "@biomejs/biome", "fast-check"]) {
      assert.ok(devOnly.includes(`node_modules/${dev}`), `${dev} is development-only`);
    }
    for (const path of devOnly) assert.ok(!existsSync(join(app, path)), `${path} is not installed`);
    assert.ok(existsSync(join(app, "node_modules/@kubernetes/client-node")));
    assert.ok(existsSync(join(app, "dist/src/cli/main.js")));
    assert.ok(!existsSync(join(app, "dist/test")), "no tests in dist");
  });

  it("`version` and `rules check` / `rbac` on the example rules run", () => {
    const version = cli("version");
    assert.equal(version.code, 0, version.err);
    assert.match(version.out, new RegExp(`^GitVersion:\\s+${PKG.version.replaceAll(".", "\\.")}$`, "m"));
    const check = cli("rules", "check", "-r", "examples/rules.yaml");
    assert.equal(check.code, 0, check.out + check.err);
    assert.match(check.out, /^rules file valid$/m);
    const rbac = cli("rbac", "-r", "examples/rules.yaml");
    assert.equal(rbac.code, 0, rbac.err);
    assert.match(rbac.out, /^kind: ClusterRole$/m);
  });

  it("the default command serves /healthz and accepts an event, then stops on SIGTERM", async () => {
    const proc = spawn(process.execPath, ["dist/src/cli/main.js", "server", "-c", "etc/config.yaml"], {
      cwd: app,
      env: { ...env(), LISTEN_ADDRESS: "127.0.0.1", LISTEN_PORT: "0", LOG_FORMAT: "json" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    proc.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    try {
      const port = await new Promise<number>((resolvePort, reject) => {
        let buffer = "";
        const timer = setTimeout(() => reject(new Error(`server not up in 30s: ${buffer}${stderr}`)), 30_000);
        proc.stdout.on("data", (c: Buffer) => {
          buffer += c.toString("utf8");
          const complete = buffer.slice(0, buffer.lastIndexOf("\n") + 1);
          for (const line of complete.split("\n")) {
            if (!line.startsWith("{")) continue;
            const entry = JSON.parse(line) as { message?: string; port?: number };
            if (entry.message === "Falco Talon is up and listening" && entry.port) {
              clearTimeout(timer);
              resolvePort(entry.port);
            }
          }
        });
        void exited.then((code) => reject(new Error(`server exited with ${code}: ${buffer}${stderr}`)));
      });
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok" });
      const event = await fetch(`http://127.0.0.1:${port}/`, {
        method: "POST",
        body: JSON.stringify({
          rule: "Terminal shell in container",
          priority: "Warning",
          output: "A shell was spawned",
          output_fields: { "k8s.ns.name": "default", "k8s.pod.name": "nginx" },
        }),
      });
      assert.equal(event.status, 200);
      proc.kill("SIGTERM");
      assert.equal(await exited, 0, stderr);
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
  });
});
