// Building blocks of the comparison operators: glob, pmatch, ASCII case folding, byte search, service ports.

/** POSIX fnmatch without flags, as a JS regex: `*` and `?` also match `/`. */
export function globToRegExp(pattern: string, ignoreCase: boolean): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[\\s\\S]*";
    else if (c === "?") re += "[\\s\\S]";
    else if (c === "\\" && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === "[") {
      const end = findBracketEnd(pattern, i);
      if (end < 0) re += "\\[";
      else {
        let body = pattern.slice(i + 1, end);
        let neg = false;
        if (body.startsWith("!") || body.startsWith("^")) {
          neg = true;
          body = body.slice(1);
        }
        re += "[" + (neg ? "^" : "") + body.replace(/\\/g, "\\\\").replace(/\]/g, "\\]") + "]";
        i = end;
      }
    } else re += escapeRe(c);
  }
  return new RegExp("^" + re + "$", ignoreCase ? "is" : "s");
}

function findBracketEnd(p: string, start: number): number {
  let i = start + 1;
  if (p[i] === "!" || p[i] === "^") i++;
  if (p[i] === "]") i++;
  for (; i < p.length; i++) if (p[i] === "]") return i;
  return -1;
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

export function hasGlobChars(s: string): boolean {
  return /[*?[]/.test(s);
}

function splitPath(p: string): string[] {
  return p.split("/").filter((x) => x !== "");
}

/** pmatch: path-prefix match on `/`-separated components, glob components allowed on the RHS. */
export function compilePmatch(paths: string[]): (v: string) => boolean {
  const compiled = paths.map((p) =>
    splitPath(p).map((comp) => (hasGlobChars(comp) ? globToRegExp(comp, false) : comp)),
  );
  return (v: string) => {
    const comps = splitPath(v);
    outer: for (const pat of compiled) {
      if (pat.length === 0) {
        if (v.startsWith("/")) return true;
        continue;
      }
      if (pat.length > comps.length) continue;
      for (let i = 0; i < pat.length; i++) {
        const pc = pat[i]!;
        if (typeof pc === "string" ? pc !== comps[i] : !pc.test(comps[i]!)) continue outer;
      }
      return true;
    }
    return false;
  };
}

/** ASCII-only lowercase, as Falco's icontains/iglob do. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

export function asciiUpper(s: string): string {
  return s.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 32));
}

export function bytesIndexOf(hay: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function bytesStartsWith(a: Uint8Array, b: Uint8Array): boolean {
  if (b.length > a.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function bytesEndsWith(a: Uint8Array, b: Uint8Array): boolean {
  if (b.length > a.length) return false;
  const off = a.length - b.length;
  for (let i = 0; i < b.length; i++) if (a[off + i] !== b[i]) return false;
  return true;
}

/** Known service names accepted for PORT literals. */
export const SERVICE_PORTS: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  http: 80,
  pop3: 110,
  ntp: 123,
  imap: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  smtps: 465,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  mysql: 3306,
  postgresql: 5432,
  redis: 6379,
};
