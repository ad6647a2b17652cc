/** gcp:gcs against a real fake-gcs-server (scripts/servers/fake-gcs.sh). */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Storage } from "@google-cloud/storage";
import gcpGcs from "../../src/outputs/gcp/gcs/index.js";
import { testEnv } from "../notifiers/env.js";
import { type StartedServer, startServer } from "./servers.js";

describe("gcp:gcs against fake-gcs-server", { timeout: 10 * 60_000 }, () => {
  let server: StartedServer;
  let admin: Storage;

  before(async () => {
    server = await startServer("fake-gcs.sh");
    admin = new Storage({ projectId: "test-project", apiEndpoint: server.endpoint });
    await admin.createBucket("talon");
  });
  after(async () => {
    await server?.stop();
  });

  it("checks the bucket", async () => {
    const env = testEnv({ gcp: { endpoint: server.endpoint } });
    await gcpGcs.checks({ bucket: "talon", prefix: "" }, env);
    await assert.rejects(gcpGcs.checks({ bucket: "missing", prefix: "" }, env), {
      message: "the bucket 'missing' does not exist",
    });
  });

  it("uploads small and large (resumable) artifacts with their content type", async () => {
    const env = testEnv({ gcp: { endpoint: server.endpoint } });
    for (const size of [1024, 9 * 1024 * 1024]) {
      const bytes = randomBytes(size);
      const result = await gcpGcs.run({
        artifact: { name: "tcpdump.pcap", objects: { namespace: "default", pod: "nginx" }, bytes },
        parameters: { bucket: "talon", prefix: "/pcaps/" },
        env,
      });
      assert.equal(result.status, "success", result.error);
      const key = result.objects["key"]!;
      assert.match(key, /^pcaps\/\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z_default_nginx_tcpdump\.pcap$/);
      assert.equal(
        result.output,
        `The file 'tcpdump.pcap' has been uploaded as the key '${key}' to the bucket 'talon'`,
      );
      const file = admin.bucket("talon").file(key);
      const [stored] = await file.download();
      assert.ok(stored.equals(bytes), `size ${size}`);
      const [meta] = await file.getMetadata();
      // Observed: fake-gcs-server 1.56.1 stores resumable uploads as application/octet-stream
      // even though the client sends the content type in the session metadata.
      if (size < 8 * 1024 * 1024) assert.equal(meta.contentType, "application/vnd.tcpdump.pcap");
    }
  });

  it("surfaces upload errors", async () => {
    const result = await gcpGcs.run({
      artifact: { name: "log", objects: { hostname: "n" }, bytes: Buffer.from("x") },
      parameters: { bucket: "no-such-bucket", prefix: "" },
      env: testEnv({ gcp: { endpoint: server.endpoint } }),
    });
    assert.equal(result.status, "failure");
    assert.ok((result.error ?? "") !== "");
  });
});
