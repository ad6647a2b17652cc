// Syscall-style fields over JSON events: the event is a flat object mapping field
// names (optionally with their argument, `proc.aname[2]`) to values, e.g.
//   {"evt.type":"open","proc.name":"cat","fd.name":"/etc/shadow","proc.aname":["bash","sshd"]}
// Types follow the libsinsp field table so conditions type-check as Falco's do.
import {
  type Extracted,
  type FalcoEventCtx,
  type FieldDef,
  type FieldType,
  MapFieldTable,
  toScalar,
} from "./types.js";

type Flags = "" | "L" | "I" | "K" | "k" | "i" | "A" | "E" | "N" | "X";
// Compact table: "name type flags" where flags: L list, i optional index, I required index,
// k optional key, K required key, A ancestor (multi without index), E either endpoint,
// N no val()/transformers, X not usable in filters.
const TABLE = `
evt.type string
evt.args string
evt.dir string
evt.res string
evt.rawres int
evt.cpu int
evt.count int
evt.count.error int
evt.count.error.file int
evt.count.error.net int
evt.count.error.memory int
evt.count.error.other int
evt.count.exit int
evt.buflen int
evt.buflen.in int
evt.buflen.out int
evt.buflen.file int
evt.buflen.net int
evt.latency reltime
evt.latency.s reltime
evt.latency.ns reltime
evt.deltatime reltime
evt.info string
evt.buffer bytebuf
evt.is_io bool
evt.is_io_read bool
evt.is_io_write bool
evt.io_dir string
evt.is_wait bool
evt.wait_latency reltime
evt.is_syslog bool
evt.is_open_read bool
evt.is_open_write bool
evt.is_open_exec bool
evt.is_open_create bool
evt.failed bool
evt.category string
evt.around string X
evt.abspath string i
evt.abspath.src string
evt.abspath.dst string
evt.arg string K
evt.rawarg string KN
syscall.type string
evt.count.procinfo int
evt.count.threadinfo int
thread.cpu int
thread.cpu.user int
thread.cpu.system int
thread.exectime reltime
thread.totexectime reltime
thread.cgroups string
thread.cgroup string K
thread.nametid string
thread.tid int
thread.ismain bool
thread.vtid int
thread.pfmajor int
thread.pfminor int
thread.vmsize int
thread.vmrss int
thread.vmswap int
thread.cap_permitted string
thread.cap_inheritable string
thread.cap_effective string
thread.is_exe_writable bool
proc.pid int
proc.exe string
proc.name string
proc.args string
proc.env string k
proc.cmdline string
proc.cmdnargs int
proc.cmdlenargs int
proc.exeline string
proc.cwd string
proc.nthreads int
proc.nchilds int
proc.ppid int
proc.pname string
proc.pcmdline string
proc.apid int iAN
proc.aname string iAN
proc.aexe string iAN
proc.aexepath string iAN
proc.acmdline string iAN
proc.aenv string iAN
proc.loginshellid int
proc.duration reltime
proc.fdopencount int
proc.fdlimit int
proc.fdusage double
proc.vmsize int
proc.vmrss int
proc.vmswap int
proc.pid.ts reltime
proc.ppid.ts reltime
proc.is_container_healthcheck bool
proc.is_container_liveness_probe bool
proc.is_container_readiness_probe bool
proc.is_exe_writable bool
proc.is_exe_upper_layer bool
proc.is_exe_lower_layer bool
proc.is_exe_from_memfd bool
proc.is_sid_leader bool
proc.is_vpgid_leader bool
proc.exe_ino int
proc.exe_ino.ctime abstime
proc.exe_ino.mtime abstime
proc.exe_ino.ctime_duration_proc_start reltime
proc.exe_ino.ctime_duration_pidns_start reltime
proc.pidns_init_start_ts int
proc.exepath string
proc.pexepath string
proc.pexe string
proc.sid int
proc.sname string
proc.sid.exe string
proc.sid.exepath string
proc.tty int
proc.vpid int
proc.pvpid int
proc.vpgid int
proc.vpgid.name string
proc.vpgid.exe string
proc.vpgid.exepath string
proc.stdin.type string
proc.stdout.type string
proc.stderr.type string
proc.stdin.name string
proc.stdout.name string
proc.stderr.name string
user.uid int
user.name string
user.homedir string
user.shell string
user.loginuid int
user.loginname string
group.gid int
group.name string
fd.num int
fd.type string
fd.typechar string
fd.name string
fd.directory string
fd.filename string
fd.ip ipaddr EN
fd.cip ipaddr
fd.sip ipaddr
fd.lip ipaddr
fd.rip ipaddr
fd.port port EN
fd.cport port
fd.sport port
fd.lport port
fd.rport port
fd.l4proto string
fd.sockfamily string
fd.is_server bool
fd.uid string
fd.containername string
fd.containerdirectory string
fd.proto port EN
fd.cproto string
fd.sproto string
fd.lproto string
fd.rproto string
fd.net ipnet EN
fd.cnet ipnet
fd.snet ipnet
fd.lnet ipnet
fd.rnet ipnet
fd.connected bool
fd.name_changed bool
fd.cip.name string
fd.sip.name string
fd.lip.name string
fd.rip.name string
fd.dev int
fd.dev.major int
fd.dev.minor int
fd.ino int
fd.nameraw string
fd.types string Lk
fd.is_upper_layer bool
fd.is_lower_layer bool
fs.path.name string
fs.path.nameraw string
fs.path.source string
fs.path.sourceraw string
fs.path.target string
fs.path.targetraw string
container.id string
container.full_id string
container.name string
container.image string
container.image.id string
container.type string
container.privileged bool
container.mounts string
container.mount string K
container.mount.source string K
container.mount.dest string K
container.mount.mode string K
container.mount.rdwr string K
container.mount.propagation string K
container.image.repository string
container.image.tag string
container.image.digest string
container.healthcheck string
container.liveness_probe string
container.readiness_probe string
container.start_ts abstime
container.duration reltime
container.ip string
container.cni.json string
container.host_pid bool
container.host_network bool
container.host_ipc bool
container.label string K
container.labels string
container.info string
k8s.pod.name string
k8s.pod.id string
k8s.pod.uid string
k8s.pod.sandbox_id string
k8s.pod.full_sandbox_id string
k8s.pod.label string K
k8s.pod.labels string
k8s.pod.ip string
k8s.pod.cni.json string
k8s.ns.name string
k8s.rc.name string
k8s.svc.name string
k8s.deployment.name string
`;

const ENDPOINTS: Record<string, [string, string]> = {
  "fd.ip": ["fd.cip", "fd.sip"],
  "fd.net": ["fd.cip", "fd.sip"],
  "fd.port": ["fd.cport", "fd.sport"],
  "fd.proto": ["fd.cproto", "fd.sproto"],
};

/** Single value of a flat event, `name[arg]` first. */
function raw(ev: FalcoEventCtx, name: string, arg: string | undefined): unknown {
  const p = ev.payload as Record<string, unknown> | null;
  if (p === null || typeof p !== "object") return undefined;
  if (arg !== undefined) return p[`${name}[${arg}]`];
  return p[name];
}

function makeDef(name: string, type: FieldType, flags: string): FieldDef {
  const def: FieldDef = { name, type, extract: () => undefined };
  if (flags.includes("L")) def.isList = true;
  if (flags.includes("I")) def.arg = { kind: "index", required: true };
  if (flags.includes("i")) def.arg = { kind: "index", required: false };
  if (flags.includes("K")) def.arg = { kind: "key", required: true };
  if (flags.includes("k")) def.arg = { kind: "key", required: false };
  if (flags.includes("N")) {
    def.noRhs = true;
    def.noTransformer = true;
  }
  if (flags.includes("X")) def.notInFilters = true;
  if (flags.includes("A")) {
    def.multi = true;
    def.multiWithoutArg = true;
    // proc.aname: the ancestors as an array (parent first); proc.aname[0] is the process itself
    const self = `proc.${name.slice("proc.a".length)}`;
    def.extract = (ev, arg) => {
      const direct = raw(ev, name, arg);
      if (arg === undefined) {
        if (direct === undefined) return undefined;
        const arr = (Array.isArray(direct) ? direct : [direct])
          .map((x) => toScalar(type, x))
          .filter((x) => x !== undefined);
        return arr.length ? arr : undefined;
      }
      if (direct !== undefined) return toScalar(type, direct);
      const n = Number(arg);
      if (n === 0) return toScalar(type, raw(ev, self === "proc.pid" ? "proc.pid" : self, undefined));
      const anc = raw(ev, name, undefined);
      return Array.isArray(anc) ? toScalar(type, anc[n - 1]) : undefined;
    };
    return def;
  }
  if (flags.includes("E")) {
    def.multi = true;
    const [c, s] = ENDPOINTS[name]!;
    def.extract = (ev) => {
      const direct = raw(ev, name, undefined);
      const vals =
        direct !== undefined
          ? Array.isArray(direct)
            ? direct
            : [direct]
          : [raw(ev, c, undefined), raw(ev, s, undefined)];
      const out = vals.map((x) => toScalar(type, x)).filter((x) => x !== undefined);
      return out.length ? out : undefined;
    };
    return def;
  }
  if (def.isList) {
    def.extract = (ev, arg) => {
      const v = raw(ev, name, undefined);
      if (v === undefined || v === null) return undefined;
      let arr = (Array.isArray(v) ? v : [v]).map((x) => toScalar(type, x)).filter((x) => x !== undefined);
      if (arg !== undefined) arr = arr.filter((x) => x === arg);
      return arr.length ? arr : undefined;
    };
    return def;
  }
  def.extract = (ev, arg): Extracted => toScalar(type, raw(ev, name, arg));
  return def;
}

const DEFS: FieldDef[] = TABLE.trim()
  .split("\n")
  .map((line) => {
    const [name, type, flags = ""] = line.trim().split(/\s+/) as [string, FieldType, Flags];
    return makeDef(name, type, flags);
  });

/** `evt.arg.<name>` (string) and `evt.rawarg.<name>` (numeric, no val()/transformers). */
function dottedArg(name: string): FieldDef | undefined {
  const m = /^evt\.(arg|rawarg)\.([a-zA-Z_][a-zA-Z0-9_]*)$/.exec(name);
  if (!m) return undefined;
  return makeDef(name, m[1] === "arg" ? "string" : "int", m[1] === "arg" ? "" : "N");
}

export const syscallTable = new MapFieldTable(DEFS, dottedArg);
