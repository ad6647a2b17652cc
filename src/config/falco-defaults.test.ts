import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { envSetsFalcoSection, FALCO_SECTION_DEFAULTS } from "./falco-defaults.js";
import { loadConfig } from "./load.js";
import { configSchema } from "./schema.js";

describe("the falco section's defaults without the schema", () => {
  it("are the schema's defaults", () => {
    assert.deepEqual({ ...FALCO_SECTION_DEFAULTS }, configSchema.parse({}).falco);
  });

  it("are what the loader gives with no file and no variable", () => {
    assert.deepEqual({ ...FALCO_SECTION_DEFAULTS }, loadConfig({ env: {} }).config.falco);
  });

  it("a FALCO_* variable is seen: each key of the section is set by one", () => {
    for (const key of Object.keys(FALCO_SECTION_DEFAULTS)) {
      const name = `FALCO_${key.toUpperCase()}`;
      assert.equal(envSetsFalcoSection({ [name]: "x" }), true, name);
      // and the loader reads that very variable
      const fallback = FALCO_SECTION_DEFAULTS[key as keyof typeof FALCO_SECTION_DEFAULTS];
      const value = key === "rules_files" ? "/r.yaml" : key === "hostname" ? "h" : String(fallback);
      const loaded = loadConfig({ env: { [name]: value } });
      assert.equal(loaded.origin(["falco", key]), `env ${name}`);
    }
  });

  it("empty and unrelated variables are not", () => {
    assert.equal(envSetsFalcoSection({}), false);
    assert.equal(envSetsFalcoSection({ FALCO_HOSTNAME: "" }), false);
    assert.equal(
      envSetsFalcoSection({ LOG_LEVEL: "debug", PATH: "/bin", FALCO_TALON_GIT_COMMIT: "abc" }),
      false,
    );
  });
});
