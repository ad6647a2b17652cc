/** Build information shown by `falco-talon version` (overridable at build time via env). */
export const VERSION = "0.1.0";
export const BUILD = {
  GitVersion: process.env.FALCO_TALON_GIT_VERSION ?? VERSION,
  GitCommit: process.env.FALCO_TALON_GIT_COMMIT ?? "unknown",
  GitTreeState: process.env.FALCO_TALON_GIT_TREE_STATE ?? "unknown",
  BuildDate: process.env.FALCO_TALON_BUILD_DATE ?? "unknown",
  NodeVersion: process.version,
  Compiler: "tsc",
  Platform: `${process.platform}/${process.arch}`,
};
