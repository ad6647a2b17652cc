/**
 * A server in a network namespace of its own, so that two Talons can run at once (each starts an
 * embedded NATS server on the fixed port 4222). `unshare -rn` makes the namespace inside a user
 * namespace, so no privilege is needed where unprivileged user namespaces are allowed. The bench
 * reaches the server through a Unix socket: a small forwarder inside the namespace relays it to
 * the server's port, and exits when the server does.
 */
import { spawnSync } from "node:child_process";
import { request } from "node:http";

/** Relays connections on a Unix socket (argv 1) to 127.0.0.1:<argv 2>; exits with its parent. */
const FORWARDER = `const net = require("node:net");
const [socketPath, port] = process.argv.slice(1);
const parent = process.ppid;
net.createServer((client) => {
  const upstream = net.connect(Number(port), "127.0.0.1");
  client.pipe(upstream).on("error", () => upstream.destroy());
  upstream.pipe(client).on("error", () => client.destroy());
  client.on("error", () => upstream.destroy());
  upstream.on("error", () => client.destroy());
}).listen(socketPath);
setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 500).unref();
`;

/**
 * Brings the loopback up, starts the forwarder in the background, then execs the server, so the
 * spawned process id stays the server's (unshare execs too).
 */
const IN_NAMESPACE = `ip link set lo up || exit 1
node=$1 forwarder=$2 socket=$3 port=$4
shift 4
"$node" -e "$forwarder" "$socket" "$port" &
exec "$@"`;

/** Why servers cannot get a network namespace each here, or undefined when they can. */
export function isolationProblem(): string | undefined {
  const r = spawnSync("unshare", ["-rn", "sh", "-c", "ip link set lo up"], { encoding: "utf8" });
  if (r.error) return `unshare: ${r.error.message}`;
  if (r.status !== 0) return `'unshare -rn' + 'ip link set lo up' failed: ${r.stderr.trim()}`;
  return undefined;
}

/** The command line that runs `command` in a network namespace of its own, served on `socketPath`. */
export function isolatedCommand(command: string[], socketPath: string, port: number): string[] {
  return [
    "unshare",
    "-rn",
    "sh",
    "-c",
    IN_NAMESPACE,
    "sh",
    process.execPath,
    FORWARDER,
    socketPath,
    String(port),
    ...command,
  ];
}

/** GET over a Unix socket: true when it answers 200. */
export function okOverSocket(socketPath: string, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.end();
  });
}
