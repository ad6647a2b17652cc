/** A real node:http server recording what notifiers send, for integration tests. */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  /** Path plus query string. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The client port; the same port across requests shows a reused connection. */
  remotePort: number;
}

export type Responder = (req: ReceivedRequest, res: ServerResponse) => void;

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Responders used in order for the next requests; afterwards `fallback` answers. */
  queue: Responder[];
  fallback: Responder;
  close(): Promise<void>;
}

export const reply =
  (status: number, body = "", headers: Record<string, string> = {}): Responder =>
  (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };

export async function startReceiver(fallback: Responder = reply(200, "ok")): Promise<Receiver> {
  const receiver: Receiver = {
    url: "",
    requests: [],
    queue: [],
    fallback,
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const received: ReceivedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        remotePort: req.socket.remotePort ?? 0,
      };
      receiver.requests.push(received);
      (receiver.queue.shift() ?? receiver.fallback)(received, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
