// ka.* fields of the k8saudit plugin v0.18.0. Every value is a string; list fields
// return arrays; an empty list or any absent key is "missing" (undefined).
import { asString } from "./json.js";
import { type Extracted, type FalcoEventCtx, type FieldDef, MapFieldTable } from "./types.js";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

function path(o: unknown, ...keys: string[]): unknown {
  let cur = o;
  for (const k of keys) {
    if (!isObj(cur) || !Object.hasOwn(cur, k)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** The audit event, or undefined when it has no top-level auditID (then every ka field is missing). */
function audit(ev: FalcoEventCtx): Obj | undefined {
  const p = ev.payload;
  return isObj(p) && Object.hasOwn(p, "auditID") ? p : undefined;
}

const str = (v: unknown): string | undefined => (v === undefined ? undefined : asString(v));
const list = (vs: string[]): Extracted => (vs.length === 0 ? undefined : vs);

/** Applies an optional index argument to an array of items. */
function select<T>(items: T[], arg: string | undefined): T[] {
  if (arg === undefined) return items;
  const i = Number(arg);
  return i < items.length ? [items[i]!] : [];
}

function simple(name: string, ...keys: string[]): FieldDef {
  return {
    name,
    type: "string",
    extract: (ev) => {
      const a = audit(ev);
      return a && str(path(a, ...keys));
    },
  };
}

function listField(
  name: string,
  fn: (a: Obj, arg: string | undefined) => string[] | undefined,
  indexed = false,
): FieldDef {
  return {
    name,
    type: "string",
    isList: true,
    arg: indexed ? { kind: "index", required: false } : undefined,
    extract: (ev, arg) => {
      const a = audit(ev);
      if (!a) return undefined;
      const vs = fn(a, arg);
      return vs === undefined ? undefined : list(vs);
    },
  };
}

function arrayAt(a: Obj, ...keys: string[]): unknown[] | undefined {
  const v = path(a, ...keys);
  return Array.isArray(v) ? v : undefined;
}

function roleRules(a: Obj): unknown[] | undefined {
  return arrayAt(a, "requestObject", "rules");
}

/** Flattened `requestObject.rules[*].<key>[*]`, `[i]` selecting the rule. */
function ruleKey(name: string, key: string): FieldDef {
  return listField(
    name,
    (a, arg) => {
      const rules = roleRules(a);
      if (!rules) return undefined;
      const out: string[] = [];
      for (const r of select(rules, arg)) {
        const vs = path(r, key);
        if (Array.isArray(vs)) for (const v of vs) out.push(asString(v));
      }
      return out;
    },
    true,
  );
}

function subjects(a: Obj): unknown[] {
  return arrayAt(a, "requestObject", "subjects") ?? [];
}

function subjectNames(name: string, kind: string, withNs = false): FieldDef {
  return listField(name, (a) =>
    subjects(a)
      .filter((s) => path(s, "kind") === kind)
      .map(
        (s) => (withNs ? `${asString(path(s, "namespace") ?? "")}:` : "") + asString(path(s, "name") ?? ""),
      ),
  );
}

function volumes(a: Obj): unknown[] | undefined {
  return arrayAt(a, "requestObject", "spec", "volumes");
}

function imageRepository(image: string): string {
  let s = image;
  const colon = s.indexOf(":");
  if (colon >= 0) s = s.slice(0, colon);
  const at = s.indexOf("@");
  if (at >= 0) s = s.slice(0, at);
  return s;
}

type ContainerKind = "containers" | "initContainers" | "ephemeralContainers";

function containers(a: Obj, kind: ContainerKind): unknown[] | undefined {
  return arrayAt(a, "requestObject", "spec", kind);
}

/** Per-container list fields for one container kind. */
function containerFields(kind: ContainerKind): FieldDef[] {
  const p = `ka.req.pod.${kind}`;
  const per = (suffix: string, fn: (c: unknown, a: Obj) => string[] | undefined | null): FieldDef =>
    listField(
      `${p}.${suffix}`,
      (a, arg) => {
        const cs = containers(a, kind);
        if (!cs) return undefined;
        const out: string[] = [];
        for (const c of select(cs, arg)) {
          const vs = fn(c, a);
          if (vs === null) return undefined; // extraction error: whole field missing
          if (vs) out.push(...vs);
        }
        return out;
      },
      true,
    );
  const required =
    (key: string, map: (s: string) => string = (s) => s) =>
    (c: unknown) => {
      const v = path(c, key);
      return typeof v === "string" ? [map(v)] : null;
    };
  const secCtx = (key: string) => (c: unknown) => {
    const v = path(c, "securityContext", key);
    return v === undefined ? undefined : [asString(v)];
  };
  const joined = (key: string) => (c: unknown) => {
    const v = path(c, key);
    return Array.isArray(v) ? [v.map(asString).join(" ")] : undefined;
  };
  const effective = (key: string) => (c: unknown, a: Obj) => {
    const v = path(c, key) ?? path(a, "requestObject", "spec", key);
    return [v === undefined ? "0" : asString(v)];
  };
  const defs: FieldDef[] = [
    per("name", required("name")),
    per("image", required("image")),
    per("image.repository", required("image", imageRepository)),
    per("command", joined("command")),
    per("args", joined("args")),
    per("privileged", secCtx("privileged")),
    per("allow_privilege_escalation", secCtx("allowPrivilegeEscalation")),
    per("read_only_fs", secCtx("readOnlyRootFilesystem")),
    per("run_as_user", secCtx("runAsUser")),
    per("run_as_group", secCtx("runAsGroup")),
    per("proc_mount", secCtx("procMount")),
    per("add_capabilities", (c) => {
      const v = path(c, "securityContext", "capabilities", "add");
      return v === undefined ? undefined : [asString(v)];
    }),
    per("eff_run_as_user", effective("runAsUser")),
    per("eff_run_as_group", effective("runAsGroup")),
  ];
  if (kind !== "ephemeralContainers") {
    defs.push(
      per("host_port", (c) => {
        const ports = path(c, "ports");
        if (!Array.isArray(ports)) return undefined;
        const out: string[] = [];
        for (const port of ports) {
          const v = path(port, "hostPort") ?? path(port, "containerPort");
          if (v !== undefined) out.push(asString(v));
        }
        return out;
      }),
    );
  }
  return defs;
}

const K8S_AUDIT_FIELDS: FieldDef[] = [
  simple("ka.auditid", "auditID"),
  simple("ka.stage", "stage"),
  simple("ka.verb", "verb"),
  simple("ka.uri", "requestURI"),
  simple("ka.user.name", "user", "username"),
  listField("ka.user.groups", (a) => {
    const g = path(a, "user", "groups");
    return Array.isArray(g) ? g.map(asString) : undefined;
  }),
  simple("ka.impuser.name", "impersonatedUser", "username"),
  simple("ka.auth.decision", "annotations", "authorization.k8s.io/decision"),
  simple("ka.auth.reason", "annotations", "authorization.k8s.io/reason"),
  simple("ka.auth.openshift.decision", "annotations", "authentication.openshift.io/decision"),
  simple("ka.auth.openshift.username", "annotations", "authentication.openshift.io/username"),
  simple(
    "ka.validations.admission.policy.failure",
    "annotations",
    "validation.policy.admission.k8s.io/validation_failure",
  ),
  simple("ka.security.pod.violations", "annotations", "pod-security.kubernetes.io/audit-violations"),
  simple("ka.cluster.name", "annotations", "cluster_name"),
  {
    name: "ka.uri.param",
    type: "string",
    arg: { kind: "key", required: true },
    extract(ev, arg) {
      const a = audit(ev);
      const uri = a && path(a, "requestURI");
      if (typeof uri !== "string" || arg === undefined) return undefined;
      const q = uri.indexOf("?");
      if (q < 0) return undefined;
      const v = new URLSearchParams(uri.slice(q + 1)).get(arg);
      return v ?? undefined;
    },
  },
  simple("ka.target.name", "objectRef", "name"),
  simple("ka.target.namespace", "objectRef", "namespace"),
  simple("ka.target.resource", "objectRef", "resource"),
  simple("ka.target.subresource", "objectRef", "subresource"),
  {
    name: "ka.target.pod.name",
    type: "string",
    extract(ev) {
      const a = audit(ev);
      if (
        !a ||
        path(a, "objectRef", "resource") !== "pods" ||
        path(a, "objectRef", "subresource") !== undefined
      ) {
        return undefined;
      }
      return str(path(a, "responseObject", "metadata", "name"));
    },
  },
  simple("ka.resp.name", "responseObject", "metadata", "name"),
  simple("ka.response.code", "responseStatus", "code"),
  simple("ka.response.reason", "responseStatus", "reason"),
  simple("ka.useragent", "userAgent"),
  // quirk of the plugin: read from requestObject.rules[*].sourceIPs
  ruleKey("ka.sourceips", "sourceIPs"),
  listField("ka.req.binding.subjects", (a) => subjects(a).map((s) => JSON.stringify(s))),
  subjectNames("ka.req.binding.subjects.user_names", "User"),
  subjectNames("ka.req.binding.subjects.group_names", "Group"),
  subjectNames("ka.req.binding.subjects.serviceaccount_names", "ServiceAccount"),
  subjectNames("ka.req.binding.subjects.serviceaccount_ns_names", "ServiceAccount", true),
  simple("ka.req.binding.role", "requestObject", "roleRef", "name"),
  {
    name: "ka.req.binding.subject.has_name",
    type: "string",
    arg: { kind: "key", required: true },
    extract: (ev) => (audit(ev) ? "true" : undefined),
  },
  simple("ka.req.configmap.name", "objectRef", "name"),
  simple("ka.req.configmap.obj", "requestObject", "data"),
  simple("ka.req.pod.host_ipc", "requestObject", "spec", "hostIPC"),
  simple("ka.req.pod.host_network", "requestObject", "spec", "hostNetwork"),
  simple("ka.req.container.host_network", "requestObject", "spec", "hostNetwork"),
  simple("ka.req.pod.host_pid", "requestObject", "spec", "hostPID"),
  simple("ka.req.pod.run_as_user", "requestObject", "spec", "securityContext", "runAsUser"),
  simple("ka.req.pod.run_as_group", "requestObject", "spec", "securityContext", "runAsGroup"),
  simple("ka.req.pod.fs_group", "requestObject", "spec", "securityContext", "fsGroup"),
  listField("ka.req.pod.supplemental_groups", (a) =>
    arrayAt(a, "requestObject", "spec", "securityContext", "supplementalGroups")?.map(asString),
  ),
  listField(
    "ka.req.pod.volumes.hostpath",
    (a, arg) => {
      const vs = volumes(a);
      if (!vs) return undefined;
      const out: string[] = [];
      for (const v of select(vs, arg)) {
        const hp = path(v, "hostPath", "path");
        if (hp !== undefined) out.push(asString(hp));
      }
      return out;
    },
    true,
  ),
  {
    name: "ka.req.volume.hostpath",
    type: "string",
    arg: { kind: "key", required: true },
    extract(ev, arg) {
      const a = audit(ev);
      if (!a || arg === undefined) return undefined;
      const prefix = arg.endsWith("*") ? arg.slice(0, -1) : undefined;
      for (const v of volumes(a) ?? []) {
        const hp = path(v, "hostPath", "path");
        if (typeof hp !== "string") continue;
        if (hp === arg || (prefix !== undefined && hp.startsWith(prefix))) return "true";
      }
      return "false";
    },
  },
  listField(
    "ka.req.pod.volumes.flexvolume_driver",
    (a, arg) => {
      const vs = volumes(a);
      if (!vs) return undefined;
      const out: string[] = [];
      for (const v of select(vs, arg)) {
        const d = path(v, "flexVolume", "driver");
        if (d !== undefined) out.push(asString(d));
      }
      return out;
    },
    true,
  ),
  listField(
    "ka.req.pod.volumes.volume_type",
    (a, arg) => {
      const vs = volumes(a);
      if (!vs) return undefined;
      const out: string[] = [];
      for (const v of select(vs, arg))
        if (isObj(v)) for (const k of Object.keys(v)) if (k !== "name") out.push(k);
      return out;
    },
    true,
  ),
  listField("ka.req.role.rules", (a) => roleRules(a)?.map((r) => JSON.stringify(r))),
  ruleKey("ka.req.role.rules.apiGroups", "apiGroups"),
  ruleKey("ka.req.role.rules.nonResourceURLs", "nonResourceURLs"),
  ruleKey("ka.req.role.rules.verbs", "verbs"),
  ruleKey("ka.req.role.rules.resources", "resources"),
  simple("ka.req.service.type", "requestObject", "spec", "type"),
  // The plugin reads `requestObject.spec.ports` as one value: the whole array's JSON text, a
  // one-element list. Its index only selects inside arrays met on the way there, so it changes nothing.
  listField(
    "ka.req.service.ports",
    (a) => {
      const ps = path(a, "requestObject", "spec", "ports");
      return ps === undefined ? undefined : [asString(ps)];
    },
    true,
  ),
  {
    name: "ka.req.container.image",
    type: "string",
    extract(ev) {
      const a = audit(ev);
      const c = a && containers(a, "containers")?.[0];
      const img = path(c, "image");
      return typeof img === "string" ? img : undefined;
    },
  },
  {
    name: "ka.req.container.image.repository",
    type: "string",
    extract(ev) {
      const a = audit(ev);
      const c = a && containers(a, "containers")?.[0];
      const img = path(c, "image");
      return typeof img === "string" ? imageRepository(img) : undefined;
    },
  },
  {
    name: "ka.req.container.privileged",
    type: "string",
    extract(ev) {
      const a = audit(ev);
      const cs = a && containers(a, "containers");
      if (!cs || cs.length === 0) return undefined;
      return cs.some((c) => path(c, "securityContext", "privileged") === true) ? "true" : "false";
    },
  },
  ...containerFields("containers"),
  ...containerFields("initContainers"),
  ...containerFields("ephemeralContainers"),
];

export const k8sAuditTable = new MapFieldTable(K8S_AUDIT_FIELDS);
