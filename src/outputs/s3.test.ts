import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { minioEndpointUrl, normalisePrefix } from "./s3.js";

describe("s3 helpers", () => {
  it("normalises prefixes without ever producing a leading slash", () => {
    assert.equal(normalisePrefix(""), "");
    assert.equal(normalisePrefix("/"), "");
    assert.equal(normalisePrefix("/files"), "files/");
    assert.equal(normalisePrefix("a/b//"), "a/b/");
  });

  it("accepts minio endpoints with or without a scheme", () => {
    assert.equal(minioEndpointUrl("minio:9000", false), "http://minio:9000");
    assert.equal(minioEndpointUrl("minio:9000", true), "https://minio:9000");
    assert.equal(minioEndpointUrl("https://minio.example/", false), "https://minio.example");
  });
});
