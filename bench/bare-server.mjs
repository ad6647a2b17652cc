/**
 * The intake's ceiling on this machine: an HTTP server that does only what any intake must (read
 * the body, JSON.parse it, answer 200), plus, optionally, a busy loop standing for a pipeline's
 * CPU work per event. bench/ceiling.ts runs it under the same load as the two servers.
 *
 *   node bench/bare-server.mjs <port> <processes> <work µs per request>
 *
 * Plain JavaScript so that node runs it without a loader.
 */
import cluster from "node:cluster";
import { createServer } from "node:http";

const port = Number(process.argv[2]);
const processes = Number(process.argv[3] ?? 1);
const workMs = Number(process.argv[4] ?? 0) / 1000;

if (processes > 1 && cluster.isPrimary) {
  for (let i = 0; i < processes; i++) cluster.fork();
} else {
  createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      if (req.url !== "/healthz") JSON.parse(Buffer.concat(chunks).toString());
      const until = performance.now() + workMs;
      while (performance.now() < until);
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end("ok");
    });
  }).listen(port, "127.0.0.1");
}
