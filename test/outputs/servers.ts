/** Starts the test servers of scripts/servers/*.sh (built once, cached outside the repo). */
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const scripts = join(dirname(fileURLToPath(import.meta.url)), "../../scripts/servers");

export interface StartedServer {
  endpoint: string;
  accessKey?: string;
  secretKey?: string;
  pid: number;
  dataDir?: string;
  stop(): Promise<void>;
}

/** Runs `<script> start` (which builds first when needed; a cold MinIO build takes minutes). */
export async function startServer(script: "minio.sh" | "fake-gcs.sh"): Promise<StartedServer> {
  const { stdout } = await run("bash", [join(scripts, script), "start"], {
    timeout: 15 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const info = JSON.parse(stdout.trim().split("\n").at(-1)!) as Omit<StartedServer, "stop">;
  return {
    ...info,
    async stop() {
      try {
        process.kill(info.pid, "SIGTERM");
      } catch {
        // already gone
      }
      if (info.dataDir) await rm(info.dataDir, { recursive: true, force: true });
    },
  };
}
