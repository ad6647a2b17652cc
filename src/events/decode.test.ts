import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cleanOutput, decodeEvent, EventDecodeError } from "./decode.js";
import { JsonNumber } from "./event.js";
import { fieldText, getNamespace, getPodName, getRemotePort, getRemoteProtocol } from "./fields.js";
import { parseJsonExact, stringifyJsonExact } from "./json.js";

describe("decodeEvent", () => {
  it("accepts an empty object and defaults source to syscall", () => {
    const e = decodeEvent("{}");
    assert.equal(e.source, "syscall");
    assert.equal(e.rule, "");
    assert.deepEqual(e.tags, []);
  });

  it("matches keys case-insensitively", () => {
    const e = decodeEvent(
      '{"Rule":"Terminal shell","PRIORITY":"Warning","Output_Fields":{"k8s.pod.name":"x"}}',
    );
    assert.equal(e.rule, "Terminal shell");
    assert.equal(e.priority, "Warning");
    assert.equal(getPodName(e), "x");
  });

  it("rejects a bad time, bad JSON and wrong types with a reason", () => {
    assert.throws(() => decodeEvent('{"time":"x"}'), EventDecodeError);
    assert.throws(() => decodeEvent("{"), /invalid JSON/);
    assert.throws(() => decodeEvent('{"rule":1}'), /'rule' must be a string/);
    assert.throws(() => decodeEvent('{"tags":"a"}'), /'tags'/);
    assert.throws(() => decodeEvent("[]"), /JSON object/);
  });

  it("accepts RFC3339 times with nanoseconds", () => {
    assert.equal(
      decodeEvent('{"time":"2024-01-02T03:04:05.123456789Z"}').time,
      "2024-01-02T03:04:05.123456789Z",
    );
  });

  it("ignores uuid and overwrites trace_id", () => {
    const e = decodeEvent('{"uuid":"abc","trace_id":"t"}');
    assert.equal(e.trace_id, "");
    assert.ok(!("uuid" in e));
  });
});

describe("cleanOutput", () => {
  it("strips the Falco time prefix for every priority, Informational included", () => {
    assert.equal(cleanOutput("12:34:56.123456789: Informational x y"), "x y");
    assert.equal(cleanOutput("12:34:56.123456789: Info x"), "x");
    assert.equal(cleanOutput("12:34:56.123456789: warning Shell spawned"), "Shell spawned");
    assert.equal(cleanOutput("12:34:56.123456789: Critical"), "");
    assert.equal(cleanOutput("no prefix here"), "no prefix here");
    assert.equal(cleanOutput("12:34:56.123456789: Errorful x"), "12:34:56.123456789: Errorful x");
  });
});

describe("numbers", () => {
  it("keeps numbers exactly as sent", () => {
    const e = decodeEvent(
      '{"output_fields":{"proc.pid":1234567,"big":12345678901234567890,"f":1.0,"e":1e21,"n":null}}',
    );
    assert.equal(fieldText(e.output_fields["proc.pid"]), "1234567");
    assert.equal(fieldText(e.output_fields["big"]), "12345678901234567890");
    assert.equal(fieldText(e.output_fields["f"]), "1.0");
    assert.equal(fieldText(e.output_fields["e"]), "1e21");
    assert.equal(fieldText(e.output_fields["n"]), "<nil>");
    assert.ok(e.output_fields["big"] instanceof JsonNumber);
  });

  it("an object or array field's text keeps its numbers exact", () => {
    const e = decodeEvent('{"output_fields":{"o":{"ino":12345678901234567890,"l":[1.50]}}}');
    assert.equal(fieldText(e.output_fields["o"]), '{"ino":12345678901234567890,"l":[1.50]}');
  });

  it("re-serialises exact numbers", () => {
    const text = '{"a":12345678901234567890,"b":[1.50,"x"],"c":{"d":true}}';
    assert.equal(stringifyJsonExact(parseJsonExact(text)), text);
  });

  it("formats JS numbers without exponent", () => {
    assert.equal(fieldText(1e21), "1000000000000000000000");
    assert.equal(fieldText(1234567), "1234567");
  });
});

describe("field getters (Talon's getter tests)", () => {
  it("non-string pod name gives empty string", () => {
    assert.equal(getPodName(decodeEvent('{"output_fields":{"k8s.pod.name":{"nested":"object"}}}')), "");
  });
  it("string pod name", () => {
    assert.equal(getPodName(decodeEvent('{"output_fields":{"k8s.pod.name":"nginx"}}')), "nginx");
  });
  it("numeric remote port, through decode and through plain values", () => {
    assert.equal(getRemotePort(decodeEvent('{"output_fields":{"fd.rport":8080}}')), "8080");
    const plain = decodeEvent("{}");
    plain.output_fields = JSON.parse('{"fd.rport":8080}');
    assert.equal(getRemotePort(plain), "8080");
  });
  it("protocol falls back to fd.sproto; namespace falls back to ka.target.namespace", () => {
    assert.equal(getRemoteProtocol(decodeEvent('{"output_fields":{"fd.sproto":"tcp"}}')), "tcp");
    assert.equal(getNamespace(decodeEvent('{"output_fields":{"ka.target.namespace":"ns"}}')), "ns");
  });
});
