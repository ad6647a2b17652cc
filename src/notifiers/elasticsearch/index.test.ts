import assert from "node:assert/strict";
import { describe, it } from "node:test";
import elasticsearch, { elasticsearchDocument, indexName } from "./index.js";

describe("elasticsearch", () => {
  it("documents only the elasticsearch notifier", () => {
    const ex = elasticsearch.info.example;
    assert.doesNotMatch(ex, /slack:/);
    assert.equal(ex.split("notifiers:").length - 1, 1);
    assert.match(ex, /elasticsearch:/);
  });

  it("names indices by suffix in UTC", () => {
    const now = new Date(Date.UTC(2024, 0, 5, 23, 59));
    assert.equal(indexName({ index: "falco-talon", suffix: "daily" }, now), "falco-talon-2024.01.05");
    assert.equal(indexName({ index: "falco-talon", suffix: "monthly" }, now), "falco-talon-2024.01");
    assert.equal(indexName({ index: "falco-talon", suffix: "annually" }, now), "falco-talon-2024");
    assert.equal(indexName({ index: "falco-talon", suffix: "none" }, now), "falco-talon");
  });

  it("validates settings", () => {
    const s = elasticsearch.parameters.parse({ url: "http://es:9200" });
    assert.equal(s.index, "falco-talon");
    assert.equal(s.suffix, "daily");
    assert.equal(s.create_index_template, true);
    assert.equal(s.number_of_shards, 3);
    assert.equal(s.number_of_replicas, 3);
    assert.equal(
      elasticsearch.parameters.safeParse({ url: "http://es", number_of_shards: 0 }).success,
      false,
    );
    assert.equal(elasticsearch.parameters.safeParse({ url: "http://es", suffix: "weekly" }).success, false);
    assert.equal(
      elasticsearch.parameters.parse({ url: "http://es", create_index_template: "false" })
        .create_index_template,
      false,
    );
  });

  it("flattens dotted object keys", () => {
    const doc = elasticsearchDocument({
      time: "t",
      message: "action",
      status: "success",
      rule: "r",
      event: "e",
      priority: "p",
      source: "s",
      action: "a",
      actionner: "x:y",
      trace_id: "t1",
      objects: { "K8s.ns.name": "default", Pod: "nginx" },
    });
    assert.deepEqual(doc["objects"], { K8s_ns_name: "default", Pod: "nginx" });
  });
});
