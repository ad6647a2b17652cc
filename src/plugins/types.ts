/**
 * The plug-in contract shared by actionners, outputs, notifiers and contexts.
 * Each plug-in lives in its own folder and default-exports one object of these shapes;
 * the registries (src/<kind>/registry.ts) list them.
 */
import type { Logger } from "pino";
import type { z } from "zod";
import type { Config } from "../config/schema.js";
import type { FalcoEvent } from "../events/event.js";
import type { KubeClient } from "../kube/client.js";
import type { TemplateVars } from "../templating/substitute.js";

/** One RBAC rule, as it would appear in a ClusterRole. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

export interface Permissions {
  /** Kubernetes RBAC rules needed by the plug-in (used by `falco-talon rbac`). */
  kubernetes?: PolicyRule[];
  /** Cloud permissions, as documentation (e.g. `lambda:InvokeFunction`). */
  cloud?: string[];
}

export type ActionStatus = "success" | "failure" | "ignored";

/** Bytes produced by an actionner, handed to an output. */
export interface Artifact {
  /** Data name, e.g. `tcpdump.pcap`, `log`, or the downloaded file path. */
  name: string;
  objects: Record<string, string>;
  bytes: Buffer;
  contentType?: string;
}

export interface ActionResult {
  status: ActionStatus;
  /** Human-readable outcome, e.g. `the pod 'x' in the namespace 'y' has been terminated`. */
  output?: string;
  /** Set when status is failure. */
  error?: string;
  /** Extra result text (e.g. a Lambda's response). */
  result?: string;
  objects: Record<string, string>;
  data?: Artifact;
  /**
   * A reversible actionner's record of exactly what this run changed (previous values, the
   * objects it created, the values it wrote), in the shape of its `reversible.record` schema.
   * Kept with the audit entry; `reversible.revert` undoes it. Absent when nothing changed.
   */
  undo?: Record<string, unknown>;
}

/** How a revert ended. */
export type RevertStatus = "success" | "conflict" | "failure";

/**
 * What a revert did. Each part of the record is either restored (`reverted`), already as it was
 * before the action (`unchanged`; a second revert finds everything here), or left alone because
 * someone changed it since the action (`conflicts`, with why).
 */
export interface RevertResult {
  /** success: nothing left to undo; conflict: some parts were left alone; failure: a request failed. */
  status: RevertStatus;
  /** One line per part restored, e.g. `label 'app' on the pod 'x' in the namespace 'y' set back to 'web'`. */
  reverted: string[];
  /** One line per part already as before the action. */
  unchanged: string[];
  /** One line per part left alone, saying what changed it since. */
  conflicts: string[];
  /** Set when status is failure. */
  error?: string;
  objects: Record<string, string>;
}

export interface RevertInput<U> {
  /** The record the action's run returned in `result.undo`, checked against `reversible.record`. */
  undo: U;
  env: PluginEnv;
  /**
   * Read the current state and report what a revert would do (its lines say "would"), changing
   * nothing.
   */
  dryRun: boolean;
}

/** An actionner whose effect can be undone: the record it keeps and how it undoes it. */
export interface Reversible<U extends z.ZodType = z.ZodType> {
  /** The shape of `ActionResult.undo`; a record read back from the audit trail is checked against it. */
  record: U;
  /**
   * Undoes only what the action did: a part someone changed since (another value, a different
   * resourceVersion or spec) is left alone and reported as a conflict. Idempotent. Never throws:
   * a failed request is a `failure` result.
   */
  revert(input: RevertInput<z.output<U>>): Promise<RevertResult>;
}

export interface OutputResult {
  status: "success" | "failure";
  output?: string;
  error?: string;
  objects: Record<string, string>;
}

/** Services handed to every plug-in call. Nothing here is global. */
export interface PluginEnv {
  config: Config;
  logger: Logger;
  /** Lazily built Kubernetes client (throws a clear error when no cluster is configured). */
  kube(): Promise<KubeClient>;
  /** `server`: send Kubernetes writes with server-side dry run (dryRun=All). */
  dryRun?: "server";
  /** Aborted on shutdown or action timeout. */
  signal: AbortSignal;
}

/**
 * What an action would do, for a dry run's log and audit entry: the objects it targets and a
 * one-line description (the labels it would set, the command it would run, the policy it would
 * create). Built from the event and parameters alone: a plan sends no request.
 */
export interface ActionPlan {
  objects: Record<string, string>;
  /** e.g. `set labels {"quarantine":"true"} on the pod 'x' in the namespace 'y'`. */
  plan: string;
  /** Structured detail for the audit entry (the command line, the policy object, ...). */
  details?: Record<string, unknown>;
}

export interface ActionnerInfo {
  category: string;
  name: string;
  description: string;
  /** Falco source the actionner works with (`syscall`, `k8s_audit`, `any`). */
  source: string;
  /** Default for `continue` when the action does not set it. */
  continue: boolean;
  useContext: boolean;
  allowOutput: boolean;
  requireOutput: boolean;
  requiredOutputFields: string[];
  permissions: Permissions;
  /** A rules-file example (YAML). */
  example: string;
}

export interface ActionInput<P> {
  event: FalcoEvent;
  parameters: P;
  /** Per-event substitution variables (event fields and context), never process.env. */
  vars: TemplateVars;
  rule: string;
  action: string;
  env: PluginEnv;
  /**
   * Lookups shared by this action attempt's `checks` and `run` (e.g. the pod checks fetched),
   * so run does not repeat them. The pipeline gives each attempt a fresh one.
   */
  memo?: Map<string, Promise<unknown>>;
}

export interface Actionner<S extends z.ZodType = z.ZodType> {
  info: ActionnerInfo;
  /** Parameters schema; defaults are the runtime defaults. */
  parameters: S;
  /** Once per category in use, at startup. */
  init?(env: Omit<PluginEnv, "signal">): Promise<void>;
  /**
   * The Kubernetes RBAC rules an action with these parameters needs, when narrower than
   * `info.permissions.kubernetes` (e.g. a pod-level label needs no node permissions).
   */
  kubernetesPermissions?(parameters: z.output<S>): PolicyRule[];
  /**
   * True when the action acts on the event's node rather than its pod (cordon, drain,
   * node-level labels): such actions are serialised per node.
   */
  nodeLevel?(parameters: z.output<S>): boolean;
  /**
   * Pre-flight checks against the event (e.g. the pod exists). Throws on failure. Event values
   * that name API objects are validated first (src/kube/names.ts), before any request.
   */
  checks(input: ActionInput<z.output<S>>): Promise<void>;
  /**
   * The dry-run plan: what run would do, from the event and parameters alone (no request).
   * Throws (e.g. an InvalidNameError) when the event can't be acted on.
   */
  plan?(input: ActionInput<z.output<S>>): ActionPlan | Promise<ActionPlan>;
  run(input: ActionInput<z.output<S>>): Promise<ActionResult>;
  /**
   * Set on actionners whose effect can be undone (`falco-talon revert`, `revert_after`). Their
   * parameters include `revert_after` (src/actionners/revert-after.ts).
   */
  reversible?: Reversible;
}

export interface OutputInfo {
  category: string;
  name: string;
  description: string;
  permissions: Permissions;
  example: string;
}

export interface OutputInput<P> {
  artifact: Artifact;
  parameters: P;
  env: PluginEnv;
}

export interface Output<S extends z.ZodType = z.ZodType> {
  info: OutputInfo;
  parameters: S;
  init?(env: Omit<PluginEnv, "signal">): Promise<void>;
  /** Validation-time and pre-run checks of the parameters (e.g. folder or bucket exists). */
  checks(parameters: z.output<S>, env: Omit<PluginEnv, "signal">): Promise<void>;
  run(input: OutputInput<z.output<S>>): Promise<OutputResult>;
}

/** The payload a notifier receives (Talon's LogLine; object keys title-cased). */
export interface Notification {
  time: string;
  /** `revert`: an earlier action (`action_id`) was undone. */
  message: "action" | "output" | "revert";
  status: "success" | "failure" | "ignored";
  rule: string;
  event: string;
  priority: string;
  source: string;
  action: string;
  actionner: string;
  category?: string;
  output?: string;
  output_target?: string;
  output_name?: string;
  error?: string;
  result?: string;
  trace_id: string;
  objects: Record<string, string>;
  stage?: string;
  /** Reversible actions and their reverts: the id `falco-talon revert` takes. */
  action_id?: string;
}

export interface NotifierInfo {
  name: string;
  description: string;
  permissions: Permissions;
  example: string;
}

export interface Notifier<S extends z.ZodType = z.ZodType> {
  info: NotifierInfo;
  /** Settings schema for `notifiers.<name>` in the config file. */
  parameters: S;
  send(notification: Notification, settings: z.output<S>, env: PluginEnv): Promise<void>;
}

export interface ContextInfo {
  name: string;
  description: string;
  permissions: Permissions;
}

export interface ContextProvider {
  info: ContextInfo;
  /** Returns flat string values (keys such as `node.hostname`); empty values are dropped by the caller. */
  fetch(event: FalcoEvent, env: PluginEnv): Promise<Record<string, string>>;
}
