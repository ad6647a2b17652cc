#!/usr/bin/env node
/**
 * The `falco-talon` command line (README, CLI), with commander.
 */
import { Command, Option } from "commander";
import { envSetsFalcoSection, FALCO_SECTION_DEFAULTS } from "../config/falco-defaults.js";
import type { LoadedConfig } from "../config/load.js";
import { ConfigError, DEFAULT_CONFIG_PATH, peekLogFormat } from "../config/peek.js";
import type { Config } from "../config/schema.js";
import { errorText } from "../error-text.js";
import type { FalcoRelease } from "../falco/releases.js";
import { buildInfo } from "../version.js";
import { addDetectFlags, type DetectFlags, detectSettings, engineVersionOption } from "./detect.js";
import type { ListFormat } from "./list.js";

const collect = (value: string, previous: string[]) => [...previous, value];
/** `-r`: a root flag (Talon's persistent flag), accepted before or after the command. */
const rulesOption = () =>
  new Option("-r, --rules <path>", "rules file or folder of *.yaml files (repeatable; overrides rules_files)")
    .argParser(collect)
    .default([]);
const formatOption = () =>
  new Option("-o, --output <format>", "output format").choices(["yaml", "json"]).default("yaml");

function out(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** The root `-r` values, wherever they were given on the command line. */
function rulesFlag(cmd: Command): string[] {
  return (cmd.optsWithGlobals() as { rules?: string[] }).rules ?? [];
}

/**
 * The configuration (file and environment). The loader and its schemas are imported here, on
 * first use, so that commands that need no configuration start without them.
 */
async function readConfig(file: string | undefined): Promise<LoadedConfig> {
  const { loadConfig } = await import("../config/load.js");
  return loadConfig({ file, env: process.env });
}

/** Rules files: -r when given, else `rules_files` from the config (file and env). */
async function rulesFilesFrom(rules: string[], configFile: string | undefined): Promise<string[]> {
  if (rules.length > 0) return rules;
  return (await readConfig(configFile)).config.rules_files;
}

/**
 * A fatal error, printed on stderr: one JSON log line when the log format is `json` (from
 * LOG_FORMAT or the config file's log_format), else `fatal: <message>` and one line per problem.
 */
export function fatalText(err: unknown, logFormat: string, now = new Date()): string {
  const message = errorText(err);
  const problems = err instanceof ConfigError ? err.problems : [];
  if (logFormat === "json") {
    const error = problems.length > 0 ? problems.join("; ") : message;
    const line: Record<string, unknown> = {
      level: "fatal",
      time: now.toISOString(),
      message: "startup failed",
      error,
    };
    if (problems.length > 1) line.problems = problems;
    return `${JSON.stringify(line)}\n`;
  }
  return `fatal: ${message}\n`;
}

/** Prints a fatal error in the configured log format and exits 1. */
function fatal(err: unknown, configFile: string | undefined): never {
  process.stderr.write(fatalText(err, peekLogFormat(configFile, process.env)));
  process.exit(1);
}

/** The undo store of a configuration, or exit 1 with why it can't be opened. */
async function openStoreOrExit(config: Config) {
  if (!config.audit.file && !config.queue.nats.url) {
    process.stderr.write(
      "error: no audit.file and no queue.nats.url in the configuration: reversible actions are kept only in the server's memory then (use GET /actions and POST /actions/<id>/revert)\n",
    );
    process.exit(2);
  }
  const { openUndoStore } = await import("../app/undo.js");
  const { createLogger } = await import("../logging/logger.js");
  try {
    return await openUndoStore(config, createLogger(config.log_format, "warn"));
  } catch (err) {
    process.stderr.write(`error: ${errorText(err)}\n`);
    process.exit(1);
  }
}

/** Each rule's notifiers, so a revert is notified like its action; none when the rules don't load. */
async function ruleNotifiers(flag: string[], configured: string[]): Promise<Map<string, string[]>> {
  const { loadRules } = await import("../rules/index.js");
  const files = flag.length > 0 ? flag : configured;
  const set = files.length > 0 ? loadRules(files).ruleset : undefined;
  return new Map((set?.rules ?? []).map((r) => [r.name, r.notifiers]));
}

export function buildProgram(): Command {
  const program = new Command("falco-talon")
    .description("Falco Talon: a response engine for Falco, in TypeScript")
    .addOption(rulesOption())
    .showHelpAfterError();

  program
    .command("server")
    .description("start the server")
    .option("-c, --config <file>", "config file (default /etc/falco-talon/config.yaml)")
    .addOption(
      new Option("--falco-rules <file>", "Falco rules file for built-in detection (repeatable)")
        .argParser(collect)
        .default([]),
    )
    .action(async (opts: { config?: string; falcoRules: string[] }, cmd: Command) => {
      const { startServer, StartupError } = await import("../app/server.js");
      (await import("../app/heap.js")).tuneHeap();
      try {
        await startServer({
          configFile: opts.config,
          rulesFiles: rulesFlag(cmd),
          falcoRulesFiles: opts.falcoRules,
          handleSignals: true,
        });
      } catch (err) {
        if (err instanceof StartupError || err instanceof ConfigError)
          fatal(err, opts.config ?? DEFAULT_CONFIG_PATH);
        throw err;
      }
    });

  const rules = program.command("rules").description("manage rules");
  rules
    .command("check")
    .description(
      "check the rules as the server does at startup; every problem is printed as file:line:col: message",
    )
    .option("-c, --config <file>", "config file")
    .option("--falco", "the files are Falco rules files (falco.rules_files when no -r)")
    .addOption(
      engineVersionOption("with --falco: check as this Falco release does (default falco.engine_version)"),
    )
    .action(
      async (opts: { config?: string; falco?: boolean; engineVersion?: FalcoRelease }, cmd: Command) => {
        const flag = rulesFlag(cmd);
        if (opts.falco) {
          const falco = (await readConfig(opts.config)).config.falco;
          const files = flag.length > 0 ? flag : falco.rules_files;
          const { runFalcoRulesCheck, parseFalcoRelease } = await import("../falco/index.js");
          process.exitCode = runFalcoRulesCheck(
            files,
            out,
            opts.engineVersion ?? parseFalcoRelease(falco.engine_version),
          );
          if (process.exitCode === 0) out("rules file valid");
          return;
        }
        const { checkRules } = await import("./check.js");
        const result = await checkRules({ configFile: opts.config, rules: flag, env: process.env });
        for (const line of result.lines) out(line);
        process.exitCode = result.valid ? 0 : 1;
      },
    );
  rules
    .command("print")
    .description("print the merged rules")
    .option("-c, --config <file>", "config file")
    .action(async (opts: { config?: string }, cmd: Command) => {
      const { formatProblem, loadRules, printRules } = await import("../rules/index.js");
      const loaded = loadRules(await rulesFilesFrom(rulesFlag(cmd), opts.config));
      if (!loaded.ruleset || loaded.problems.length > 0) {
        for (const p of loaded.problems) out(formatProblem(p));
        process.exitCode = 1;
        return;
      }
      out(printRules(loaded.ruleset));
    });

  rules
    .command("schema")
    .description("print a JSON Schema for rules files (editor completion, CI checks)")
    .action(async () => {
      const { rulesJsonSchema } = await import("../rules/json-schema.js");
      const { actionners } = await import("../actionners/registry.js");
      const { outputs } = await import("../outputs/registry.js");
      out(JSON.stringify(rulesJsonSchema(actionners, outputs), null, 2));
    });

  // list.js loads every actionner, output and notifier: only these commands pay for it
  for (const [name, list] of [
    ["actionners", "listActionners"],
    ["outputs", "listOutputs"],
    ["notifiers", "listNotifiers"],
  ] as const) {
    program
      .command(name)
      .description(`manage the ${name}`)
      .command("list")
      .description(`list the available ${name}`)
      .option("-c, --config <file>", "accepted for compatibility, unused")
      .addOption(formatOption())
      .action(async (opts: { output: ListFormat }) => out((await import("./list.js"))[list](opts.output)));
  }

  program
    .command("rbac")
    .description(
      "print the minimal ClusterRole for the actionners, outputs, contexts and notifiers the rules use",
    )
    .option("-c, --config <file>", "config file (for rules_files and default_notifiers)")
    .action(async (opts: { config?: string }, cmd: Command) => {
      const { renderRbac } = await import("./rbac.js");
      const { config } = await readConfig(opts.config);
      const rules = rulesFlag(cmd);
      const files = rules.length > 0 ? rules : config.rules_files;
      out(await renderRbac(files, { notifiers: config.default_notifiers }));
    });

  const actions = program.command("actions").description("the reversible actions the engine keeps");
  actions
    .command("list")
    .description(
      "list the reversible actions (audit.file, or the JetStream KV bucket in distributed mode) with their revert state",
    )
    .option("-c, --config <file>", "config file")
    .option("--reversible", "only actions that can still be reverted")
    .option("--rule <name>", "only this rule")
    .option("--since <when>", "RFC3339 time or a duration such as 30m, 2h, 7d")
    .option("--json", "print JSON lines")
    .action(
      async (o: { config?: string; reversible?: boolean; rule?: string; since?: string; json?: boolean }) => {
        const { config } = await readConfig(o.config);
        const { runActionsList } = await import("./actions.js");
        const store = await openStoreOrExit(config);
        try {
          process.exitCode = await runActionsList(store, o, out);
        } finally {
          await store.close();
        }
      },
    );

  program
    .command("revert")
    .description(
      "undo a reversible action by its id (see `actions list`): only what it changed, leaving alone what was changed since",
    )
    .argument("<action-id>", "the action's id (20 hex characters)")
    .option("-c, --config <file>", "config file")
    .option("--dry-run", "show what would be reverted; change nothing")
    .action(async (id: string, o: { config?: string; dryRun?: boolean }, cmd: Command) => {
      const { config } = await readConfig(o.config);
      const { cliRevert, printRevert } = await import("./actions.js");
      const { builtinPlugins } = await import("../app/plugins.js");
      const { createLogger } = await import("../logging/logger.js");
      const logger = createLogger(config.log_format, config.log_level === "info" ? "warn" : config.log_level);
      const store = await openStoreOrExit(config);
      try {
        const outcome = await cliRevert(
          {
            config,
            logger,
            store,
            plugins: builtinPlugins,
            ruleNotifiers: await ruleNotifiers(rulesFlag(cmd), config.rules_files),
          },
          id,
          o.dryRun === true,
        );
        process.exitCode = printRevert(outcome, out);
      } finally {
        await store.close();
      }
    });

  program
    .command("audit")
    .description(
      "list the action audit trail (audit.file, or the JetStream audit stream in distributed mode)",
    )
    .option("-c, --config <file>", "config file")
    .option("--file <path>", "audit file (default: audit.file from the config)")
    .option("--nats <url>", "read the JetStream audit stream at these servers (default: queue.nats.url)")
    .option("--stream <name>", "audit stream (default: audit.nats_stream, else <queue.nats.stream>_AUDIT)")
    .option("--rule <name>", "only this rule")
    .option("--status <status>", "only this status: success, failure or ignored")
    .option("--since <when>", "RFC3339 time or a duration such as 30m, 2h, 7d")
    .option("--limit <n>", "the last N entries", Number)
    .option("--json", "print JSON lines")
    .action(
      async (o: {
        config?: string;
        file?: string;
        nats?: string;
        stream?: string;
        rule?: string;
        status?: string;
        since?: string;
        limit?: number;
        json?: boolean;
      }) => {
        const { runAuditList } = await import("../audit/cli.js");
        const { natsAuditOptionsFromConfig, splitServers } = await import("../audit/jetstream.js");
        const filters = { rule: o.rule, status: o.status, since: o.since, limit: o.limit, json: o.json };
        if (o.file !== undefined) {
          process.exitCode = await runAuditList({ file: o.file, ...filters }, out);
          return;
        }
        const { config } = await readConfig(o.config);
        // An explicit --nats/--stream, or a config without audit.file in distributed mode, reads the stream.
        const useNats =
          o.nats !== undefined ||
          o.stream !== undefined ||
          (!config.audit.file && config.queue.nats.url !== "");
        const nats = useNats
          ? {
              ...natsAuditOptionsFromConfig(config),
              ...(o.nats !== undefined ? { servers: splitServers(o.nats) } : {}),
              ...(o.stream !== undefined ? { stream: o.stream } : {}),
            }
          : undefined;
        if (nats && nats.servers.length === 0) {
          out("error: no NATS server: pass --nats or set queue.nats.url in the configuration");
          process.exitCode = 2;
          return;
        }
        process.exitCode = await runAuditList({ file: config.audit.file, nats, ...filters }, out);
      },
    );

  const detect = program
    .command("detect")
    .description("replay Kubernetes audit events through Falco rules; print alerts as Falco JSON lines")
    .requiredOption(
      "-e, --events <file>",
      "audit events (- for standard input): one JSON value per line, or an EventList",
    )
    .option("-c, --config <file>", "config file: its falco section (rules_files, hostname, engine settings)")
    .addOption(
      new Option("--falco-rules <file>", "Falco rules file or folder (repeatable; same as -r)")
        .argParser(collect)
        .default([]),
    )
    .option("--hostname <name>", "the alerts' hostname (default: this machine's, as Falco's)");
  addDetectFlags(detect).action(
    async (
      opts: DetectFlags & { events: string; config?: string; falcoRules: string[]; hostname?: string },
      cmd: Command,
    ) => {
      // detect reads only the `falco` section: with no config file and no FALCO_* variable it is
      // the defaults, and the configuration's schemas are not loaded (a tenth of a second of start-up)
      let falco: Config["falco"] = FALCO_SECTION_DEFAULTS;
      if (opts.config !== undefined || envSetsFalcoSection(process.env)) {
        try {
          falco = (await readConfig(opts.config)).config.falco;
        } catch (err) {
          if (err instanceof ConfigError) fatal(err, opts.config);
          throw err;
        }
      }
      const flagged = [...rulesFlag(cmd), ...opts.falcoRules];
      const rules = flagged.length > 0 ? flagged : falco.rules_files;
      if (rules.length === 0) {
        out("error: no Falco rules: pass -r/--falco-rules or set falco.rules_files in the configuration");
        process.exitCode = 2;
        return;
      }
      const { runDetect } = await import("../falco/index.js");
      process.exitCode = await runDetect({
        rules,
        events: opts.events,
        hostname: opts.hostname ?? (falco.hostname || undefined),
        settings: detectSettings(falco, opts),
      });
    },
  );

  program
    .command("version")
    .description("print the version information")
    .action(() => {
      const info = buildInfo();
      const width = Math.max(...Object.keys(info).map((k) => k.length)) + 2;
      for (const [k, v] of Object.entries(info)) out(`${`${k}:`.padEnd(width)}${v}`);
    });

  return program;
}

const isMain =
  process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/").split("/").pop()!);
if (isMain) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err) => fatal(err, undefined));
}
