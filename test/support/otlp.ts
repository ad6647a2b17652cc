/**
 * An in-process OTLP/gRPC trace receiver: a real gRPC server (@grpc/grpc-js) implementing
 * `opentelemetry.proto.collector.trace.v1.TraceService/Export`, decoding the protobuf request
 * with a small wire-format reader (only the fields of trace.proto, common.proto and
 * resource.proto that tests look at).
 */
import * as grpc from "@grpc/grpc-js";
import { errorText } from "../../src/error-text.js";

export type AttributeValue =
  | string
  | boolean
  | number
  | bigint
  | Buffer
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };

export interface ReceivedSpanEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: Record<string, AttributeValue>;
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  traceState: string;
  name: string;
  /** SpanKind of the proto: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, AttributeValue>;
  events: ReceivedSpanEvent[];
  /** StatusCode of the proto: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  resource: Record<string, AttributeValue>;
  scope: { name: string; version: string };
}

// ── Protobuf wire format ────────────────────────────────────────────────────
interface Field {
  no: number;
  wire: number;
  /** Varint and fixed values. */
  int?: bigint;
  /** Length-delimited payload. */
  bytes?: Buffer;
}

function readVarint(buf: Buffer, pos: { i: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos.i >= buf.length) throw new Error("truncated varint");
    const b = buf[pos.i++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
    if (shift > 63n) throw new Error("varint too long");
  }
}

/** Splits one message into its fields, in wire order. */
export function readFields(buf: Buffer): Field[] {
  const fields: Field[] = [];
  const pos = { i: 0 };
  while (pos.i < buf.length) {
    const key = Number(readVarint(buf, pos));
    const no = key >>> 3;
    const wire = key & 7;
    switch (wire) {
      case 0:
        fields.push({ no, wire, int: readVarint(buf, pos) });
        break;
      case 1:
        fields.push({ no, wire, int: buf.readBigUInt64LE(pos.i), bytes: buf.subarray(pos.i, pos.i + 8) });
        pos.i += 8;
        break;
      case 2: {
        const len = Number(readVarint(buf, pos));
        if (pos.i + len > buf.length) throw new Error("truncated length-delimited field");
        fields.push({ no, wire, bytes: buf.subarray(pos.i, pos.i + len) });
        pos.i += len;
        break;
      }
      case 5:
        fields.push({ no, wire, int: BigInt(buf.readUInt32LE(pos.i)) });
        pos.i += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${wire} (field ${no})`);
    }
  }
  return fields;
}

const text = (f: Field) => f.bytes!.toString("utf8");
const hex = (f: Field) => f.bytes!.toString("hex");

function decodeAnyValue(buf: Buffer): AttributeValue {
  for (const f of readFields(buf)) {
    switch (f.no) {
      case 1:
        return text(f);
      case 2:
        return f.int !== 0n;
      case 3:
        return BigInt.asIntN(64, f.int!);
      case 4:
        return f.bytes!.readDoubleLE(0);
      case 5:
        return readFields(f.bytes!)
          .filter((v) => v.no === 1)
          .map((v) => decodeAnyValue(v.bytes!));
      case 6:
        return decodeKeyValues(readFields(f.bytes!), 1);
      case 7:
        return Buffer.from(f.bytes!);
    }
  }
  return null;
}

function decodeKeyValues(fields: Field[], no: number): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const f of fields) {
    if (f.no !== no) continue;
    let key = "";
    let value: AttributeValue = null;
    for (const kv of readFields(f.bytes!)) {
      if (kv.no === 1) key = text(kv);
      else if (kv.no === 2) value = decodeAnyValue(kv.bytes!);
    }
    out[key] = value;
  }
  return out;
}

function decodeSpan(
  buf: Buffer,
  resource: Record<string, AttributeValue>,
  scope: ReceivedSpan["scope"],
): ReceivedSpan {
  const fields = readFields(buf);
  const span: ReceivedSpan = {
    traceId: "",
    spanId: "",
    parentSpanId: "",
    traceState: "",
    name: "",
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: decodeKeyValues(fields, 9),
    events: [],
    status: { code: 0, message: "" },
    resource,
    scope,
  };
  for (const f of fields) {
    switch (f.no) {
      case 1:
        span.traceId = hex(f);
        break;
      case 2:
        span.spanId = hex(f);
        break;
      case 3:
        span.traceState = text(f);
        break;
      case 4:
        span.parentSpanId = hex(f);
        break;
      case 5:
        span.name = text(f);
        break;
      case 6:
        span.kind = Number(f.int);
        break;
      case 7:
        span.startTimeUnixNano = f.int!;
        break;
      case 8:
        span.endTimeUnixNano = f.int!;
        break;
      case 11: {
        const ev = readFields(f.bytes!);
        span.events.push({
          timeUnixNano: ev.find((e) => e.no === 1)?.int ?? 0n,
          name: ev.filter((e) => e.no === 2).map(text)[0] ?? "",
          attributes: decodeKeyValues(ev, 3),
        });
        break;
      }
      case 15:
        for (const s of readFields(f.bytes!)) {
          if (s.no === 2) span.status.message = text(s);
          else if (s.no === 3) span.status.code = Number(s.int);
        }
        break;
    }
  }
  return span;
}

/** Decodes an `ExportTraceServiceRequest` into flat spans, each with its resource and scope. */
export function decodeExportTraceServiceRequest(buf: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of readFields(buf).filter((f) => f.no === 1)) {
    const rsFields = readFields(rs.bytes!);
    const resourceField = rsFields.find((f) => f.no === 1);
    const resource = resourceField ? decodeKeyValues(readFields(resourceField.bytes!), 1) : {};
    for (const ss of rsFields.filter((f) => f.no === 2)) {
      const ssFields = readFields(ss.bytes!);
      const scope = { name: "", version: "" };
      const scopeField = ssFields.find((f) => f.no === 1);
      if (scopeField) {
        for (const s of readFields(scopeField.bytes!)) {
          if (s.no === 1) scope.name = text(s);
          else if (s.no === 2) scope.version = text(s);
        }
      }
      for (const sp of ssFields.filter((f) => f.no === 2)) spans.push(decodeSpan(sp.bytes!, resource, scope));
    }
  }
  return spans;
}

// ── The gRPC server ─────────────────────────────────────────────────────────
const EXPORT_PATH = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const raw = (b: Buffer) => b;

export interface OtlpReceiver {
  /** `host` and `port` to put in `otel.collector_endpoint` / `otel.collector_port` (plaintext). */
  host: string;
  port: number;
  spans: ReceivedSpan[];
  /** Export calls received (including ones with no spans). */
  exports: number;
  /** Resolves with the spans once `pred` holds for the spans received so far. */
  waitForSpans(pred: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const server = new grpc.Server();
  const spans: ReceivedSpan[] = [];
  const waiters = new Set<() => void>();
  const state = { exports: 0 };
  const service: grpc.ServiceDefinition = {
    Export: {
      path: EXPORT_PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: raw,
      requestDeserialize: raw,
      responseSerialize: raw,
      responseDeserialize: raw,
    },
  };
  server.addService(service, {
    Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      try {
        spans.push(...decodeExportTraceServiceRequest(call.request));
        state.exports++;
        // An empty ExportTraceServiceResponse: full success.
        callback(null, Buffer.alloc(0));
      } catch (err) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: errorText(err) });
      }
      for (const wake of [...waiters]) wake();
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    host: "127.0.0.1",
    port,
    spans,
    get exports() {
      return state.exports;
    },
    waitForSpans: (pred, timeoutMs = 20_000) => {
      if (pred(spans)) return Promise.resolve(spans);
      return new Promise((resolve, reject) => {
        const wake = () => {
          if (!pred(spans)) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(spans);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(
            new Error(
              `spans not received in ${timeoutMs}ms; got ${spans.map((s) => s.name).join(", ") || "none"}`,
            ),
          );
        }, timeoutMs);
        waiters.add(wake);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
