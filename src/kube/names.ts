/**
 * Validation of values taken from events before they name a Kubernetes object. Every actionner
 * checks names here, before any request (not even a GET), so a hostile `..` or `a/../b` can never
 * change which object an API path points at.
 *
 * The rules are Kubernetes' own (k8s.io/apimachinery/pkg/util/validation and
 * pkg/api/validation/path): an object the API server would refuse to create can't be a real
 * target, so nothing valid is turned away.
 *
 * Each kind has two forms: `<kind>Problem(value)` returns why the value is invalid (or
 * undefined), for zod refinements; `check<Kind>(value, source)` throws an
 * {@link InvalidNameError} `invalid <kind> '<value>' in <source>: <reason>`.
 */
import { isIP } from "node:net";

/** An event value that can't name a Kubernetes object: the action fails with this message. */
export class InvalidNameError extends Error {
  override name = "InvalidNameError";
}

/** Longest value text quoted in a message; longer values are cut and their length given. */
const SHOWN_MAX = 64;

/** The value quoted for a message: control characters escaped, absurd lengths cut. */
export function quoted(value: string): string {
  const chars = [...value];
  const cut = chars.length > SHOWN_MAX ? `${chars.slice(0, SHOWN_MAX - 4).join("")}...` : value;
  const escaped = cut.replace(/[\u0000-\u001f\u007f-\u009f'\\]/g, (c) =>
    c === "'" || c === "\\" ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return chars.length > SHOWN_MAX ? `'${escaped}' (${chars.length} characters)` : `'${escaped}'`;
}

/** `invalid <what> '<value>'[ in <source>]: <reason>`. */
export function invalidMessage(what: string, value: string, reason: string, source?: string): string {
  return `invalid ${what} ${quoted(value)}${source ? ` in ${source}` : ""}: ${reason}`;
}

type Rule = (value: string) => string | undefined;

function thrower(what: string, rule: Rule) {
  return (value: string, source?: string): string => {
    const reason = rule(value);
    if (reason !== undefined) throw new InvalidNameError(invalidMessage(what, value, reason, source));
    return value;
  };
}

// ---- RFC 1123 / RFC 1035 names (apimachinery util/validation) ----

export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function tooLong(value: string, max: number): string | undefined {
  return value.length > max ? `must be no more than ${max} characters (got ${value.length})` : undefined;
}

/**
 * Reasons shared by every object name: emptiness, path tricks, then the charset. The
 * path-specific reasons come first because they say what the value was trying to do.
 */
function pathTricks(value: string): string | undefined {
  if (value === "") return "must not be empty";
  if (value === "." || value === "..") return "may not be '.' or '..'";
  if (value.includes("/")) return "may not contain '/'";
  if (value.includes("%")) return "may not contain '%'";
  return undefined;
}

/** DNS-1123 label: namespaces, container names (at most 63 characters). */
export const dnsLabelProblem: Rule = (v) =>
  pathTricks(v) ??
  tooLong(v, DNS1123_LABEL_MAX) ??
  (dns1123Label.test(v)
    ? undefined
    : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character");

/** DNS-1123 subdomain: pods, nodes and most object names (at most 253 characters). */
export const dnsSubdomainProblem: Rule = (v) =>
  pathTricks(v) ??
  tooLong(v, DNS1123_SUBDOMAIN_MAX) ??
  (dns1123Subdomain.test(v)
    ? undefined
    : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");

/** DNS-1035 label: Service names (at most 63 characters, starting with a letter). */
export const dns1035LabelProblem: Rule = (v) =>
  pathTricks(v) ??
  tooLong(v, DNS1123_LABEL_MAX) ??
  (dns1035Label.test(v)
    ? undefined
    : "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character");

/**
 * Path-segment name (apimachinery's ValidatePathSegmentName): what any object name must be to
 * sit in a URL path; RBAC roles (`system:controller:x`) only need this. Kubernetes also caps
 * stored names at 253 characters, and control characters can't be sent in a path.
 */
export const pathSegmentProblem: Rule = (v) =>
  pathTricks(v) ??
  tooLong(v, DNS1123_SUBDOMAIN_MAX) ??
  (/[\u0000-\u001f\u007f]/.test(v) ? "may not contain control characters" : undefined) ??
  (/\s/.test(v) ? "may not contain white space" : undefined);

// ---- Label and annotation keys and values ----

export const QUALIFIED_NAME_MAX = 63;
export const LABEL_VALUE_MAX = 63;
/** Kubernetes' limit on the total size of an object's annotations (keys and values). */
export const TOTAL_ANNOTATION_SIZE_MAX = 256 * 1024;

const qualifiedCharset =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** A qualified name: `[prefix/]name`, prefix a DNS-1123 subdomain, name at most 63 characters. */
export const qualifiedNameProblem: Rule = (v) => {
  if (v === "") return "must not be empty";
  const parts = v.split("/");
  if (parts.length > 2) return "a qualified name may contain at most one '/' (prefix/name)";
  const name = parts.length === 2 ? (parts[1] as string) : v;
  if (parts.length === 2) {
    const prefix = parts[0] as string;
    if (prefix === "") return "the prefix before '/' must not be empty";
    const p = tooLong(prefix, DNS1123_SUBDOMAIN_MAX) ?? (dns1123Subdomain.test(prefix) ? undefined : "bad");
    if (p !== undefined) {
      return `the prefix ${quoted(prefix)} must be a lowercase RFC 1123 subdomain of at most ${DNS1123_SUBDOMAIN_MAX} characters`;
    }
  }
  if (name === "") return "the name part must not be empty";
  if (name.length > QUALIFIED_NAME_MAX) {
    return `the name part must be no more than ${QUALIFIED_NAME_MAX} characters (got ${name.length})`;
  }
  if (!qualifiedNamePart.test(name)) return `the name part ${qualifiedCharset}`;
  return undefined;
};

export const labelKeyProblem: Rule = qualifiedNameProblem;
export const annotationKeyProblem: Rule = qualifiedNameProblem;

/** A label value: empty, or at most 63 characters of the qualified-name charset. */
export const labelValueProblem: Rule = (v) => {
  if (v === "") return undefined;
  if (v.length > LABEL_VALUE_MAX)
    return `must be no more than ${LABEL_VALUE_MAX} characters (got ${v.length})`;
  return qualifiedNamePart.test(v) ? undefined : qualifiedCharset;
};

/** Bytes the annotations take in Kubernetes' size accounting (keys plus values). */
export function annotationsSize(annotations: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(annotations)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

// ---- IPs and CIDRs ----

/** An IPv4 or IPv6 address (no zone, no brackets, no prefix). */
export const ipProblem: Rule = (v) => {
  if (v === "") return "must not be empty";
  if (v.includes("%")) return "a zone index ('%') is not allowed";
  return isIP(v) === 0 ? "must be an IPv4 or IPv6 address" : undefined;
};

/** An IPv4 or IPv6 CIDR whose prefix length fits its family (0-32, 0-128). */
export const cidrProblem: Rule = (v) => {
  if (v === "") return "must not be empty";
  const slash = v.indexOf("/");
  if (slash < 0) return "must be an address and a prefix length, e.g. 10.0.0.0/8";
  const addr = v.slice(0, slash);
  const bits = v.slice(slash + 1);
  const ip = ipProblem(addr);
  if (ip !== undefined) return `the address ${ip}`;
  const max = isIP(addr) === 4 ? 32 : 128;
  if (!/^(0|[1-9]\d{0,2})$/.test(bits) || Number(bits) > max) {
    return `the prefix length must be an integer from 0 to ${max}`;
  }
  return undefined;
};

/** `<ip>/32` or `<ip>/128`: the single-address CIDR of a valid IP. */
export function hostCidr(ip: string): string {
  return `${ip}/${isIP(ip) === 4 ? 32 : 128}`;
}

// ---- One entry point per kind ----

export const checkNamespace = thrower("namespace", dnsLabelProblem);
export const checkPodName = thrower("pod name", dnsSubdomainProblem);
export const checkNodeName = thrower("node name", dnsSubdomainProblem);
export const checkContainerName = thrower("container name", dnsLabelProblem);
export const checkNetworkPolicyName = thrower("networkpolicy name", dnsSubdomainProblem);
export const checkLabelKey = thrower("label key", labelKeyProblem);
export const checkAnnotationKey = thrower("annotation key", annotationKeyProblem);
export const checkIp = thrower("IP", ipProblem);
export const checkCidr = thrower("CIDR", cidrProblem);

/** The name of a workload object (`deployment`, `replicaset`, ...): a DNS-1123 subdomain. */
export function checkObjectName(kind: string, value: string, source?: string): string {
  return thrower(`${kind} name`, dnsSubdomainProblem)(value, source);
}

/** A label value; `key` names the label in the message. */
export function checkLabelValue(value: string, key: string, source?: string): string {
  const reason = labelValueProblem(value);
  if (reason !== undefined) {
    throw new InvalidNameError(
      `invalid label value ${quoted(value)} for the key ${quoted(key)}${source ? ` in ${source}` : ""}: ${reason}`,
    );
  }
  return value;
}

/** Every key and value of a label map. */
export function checkLabels(labels: Record<string, string>, source?: string): Record<string, string> {
  for (const [k, v] of Object.entries(labels)) {
    checkLabelKey(k, source);
    checkLabelValue(v, k, source);
  }
  return labels;
}

/** Every key of an annotation map, and the map's total size. */
export function checkAnnotations(
  annotations: Record<string, string>,
  source?: string,
): Record<string, string> {
  for (const k of Object.keys(annotations)) checkAnnotationKey(k, source);
  const size = annotationsSize(annotations);
  if (size > TOTAL_ANNOTATION_SIZE_MAX) {
    throw new InvalidNameError(
      `invalid annotations${source ? ` in ${source}` : ""}: the keys and values take ${size} bytes, more than Kubernetes' ${TOTAL_ANNOTATION_SIZE_MAX}`,
    );
  }
  return annotations;
}

/** The rule for an object name of a resource, by its plural (`ka.target.resource`). */
export function resourceNameRule(resource: string): Rule {
  switch (resource) {
    case "namespaces":
      return dnsLabelProblem;
    case "services":
      return dns1035LabelProblem;
    case "roles":
    case "clusterroles":
    case "rolebindings":
    case "clusterrolebindings":
      // RBAC names only need to be path segments (`system:controller:x`).
      return pathSegmentProblem;
    default:
      return dnsSubdomainProblem;
  }
}

/** A resource plural as it appears in an API path (`deployments`). */
export const resourceProblem: Rule = (v) =>
  pathTricks(v) ??
  (/^[a-z][a-z0-9]*$/.test(v) ? undefined : "must be a lower case resource name (e.g. 'secrets')");

export const checkResource = thrower("resource", resourceProblem);

/** The name of an object of `resource`, by that resource's own rule. */
export function checkResourceName(resource: string, value: string, source?: string): string {
  const kind = resource.replace(/s$/, "");
  return thrower(`${kind} name`, resourceNameRule(resource))(value, source);
}
