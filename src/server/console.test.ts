/** The console's stream: a browser that stops reading is let go; closing one frees its subscription. */
import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { event } from "../../test/support/pipeline.js";
import { ConsoleFeed } from "../console/feed.js";
import { SessionStore } from "../console/sessions.js";
import { createConsoleRoute, isConsolePath, nextPage } from "./console.js";

const until = async (what: string, cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not ${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("console stream", () => {
  const feed = new ConsoleFeed({ capacity: 5000, replica: "r", flushMs: 5, maxPending: 100_000 });
  let server: Server;
  let port = 0;
  before(async () => {
    const route = createConsoleRoute({
      feed,
      rules: () => ({ rules: [], files: [], last_reload: { time: "", ok: true, problems: [] } }),
      artifactFolders: () => [],
      rehearse: async () => {
        throw new Error("unused");
      },
      assets: { get: async () => undefined },
      sessions: new SessionStore(),
      tls: false,
      maxBodyBytes: 1 << 20,
      logger: pino({ level: "silent" }),
      heartbeatMs: 20,
      maxStreamBacklog: 256 << 10,
      maxStreamStallMs: 300,
    });
    server = createServer((req, res) => {
      void route.handle(req, res, (req.url ?? "").split("?")[0]!, () => {});
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("sends heartbeats, and frees the subscription when the browser goes", async () => {
    const chunks: string[] = [];
    const req = request({ host: "127.0.0.1", port, path: "/ui/api/stream" }, (res) => {
      res.on("data", (c: Buffer) => chunks.push(c.toString()));
    });
    req.end();
    await until("subscribed", () => feed.subscriberCount === 1);
    await until("a heartbeat", () => chunks.join("").includes(": heartbeat\n\n"));
    req.destroy();
    await until("unsubscribed", () => feed.subscriberCount === 0);
  });

  it("lets go of a browser that does not read rather than buffer for it", async () => {
    const req = request({ host: "127.0.0.1", port, path: "/ui/api/stream" }, (res) => {
      res.pause(); // never reads
    });
    req.on("error", () => {});
    req.end();
    await until("subscribed", () => feed.subscriberCount === 1);
    const big = "x".repeat(16 << 10);
    for (let round = 0; round < 400 && feed.subscriberCount > 0; round++) {
      for (let i = 0; i < 20; i++) feed.processed(event({ output: `${big} ${round}/${i}` }), []);
      feed.flush();
      await new Promise((r) => setImmediate(r));
    }
    await until("dropped", () => feed.subscriberCount === 0);
    // The server closed its side (the paused client cannot notice: it reads nothing).
    let open = -1;
    await until("the connection closed", () => {
      server.getConnections((_err, n) => {
        open = n;
      });
      return open === 0;
    });
    req.destroy();
  });

  it("routes /ui and /ui/... only, and redirects after sign-in to console pages only", () => {
    for (const p of ["/ui", "/ui/", "/ui/api/events"]) assert.equal(isConsolePath(p), true, p);
    for (const p of ["/", "/uix", "/u", "/actions", "/k8s-audit"]) assert.equal(isConsolePath(p), false, p);
    assert.equal(nextPage("/ui/rules?x=1"), "/ui/rules?x=1");
    for (const bad of [null, "", "https://evil", "//evil/ui", "/ui//evil", "/uix", "/\\evil", "/other"])
      assert.equal(nextPage(bad), "/ui", String(bad));
  });
});
