// Estimates how many syscall event types a condition can match, for LOAD_NO_EVTTYPE (over 100 warns).
import type { Expr } from "./ast.js";

/** Size of the event-type universe (libsinsp knows a few hundred syscall/event names). */
const ALL = 400;

/** A set of event types, or its complement (`neg`). */
interface TypeSet {
  neg: boolean;
  names: Set<string>;
}

const any = (): TypeSet => ({ neg: true, names: new Set() });

function size(s: TypeSet): number {
  return s.neg ? ALL - s.names.size : s.names.size;
}

function intersect(a: TypeSet, b: TypeSet): TypeSet {
  if (!a.neg && !b.neg) return { neg: false, names: new Set([...a.names].filter((x) => b.names.has(x))) };
  if (a.neg && b.neg) return { neg: true, names: new Set([...a.names, ...b.names]) };
  const [pos, neg] = a.neg ? [b, a] : [a, b];
  return { neg: false, names: new Set([...pos.names].filter((x) => !neg.names.has(x))) };
}

function union(a: TypeSet, b: TypeSet): TypeSet {
  if (!a.neg && !b.neg) return { neg: false, names: new Set([...a.names, ...b.names]) };
  if (a.neg && b.neg) return { neg: true, names: new Set([...a.names].filter((x) => b.names.has(x))) };
  const [pos, neg] = a.neg ? [b, a] : [a, b];
  return { neg: true, names: new Set([...neg.names].filter((x) => !pos.names.has(x))) };
}

function types(e: Expr, negated: boolean): TypeSet {
  switch (e.kind) {
    case "and":
    case "or": {
      // De Morgan: under negation and/or swap
      const useAnd = (e.kind === "and") !== negated;
      const parts = e.children.map((c) => types(c, negated));
      return parts.reduce((acc, p) => (useAnd ? intersect(acc, p) : union(acc, p)));
    }
    case "not":
      return types(e.child, !negated);
    case "binary": {
      if (e.left.kind !== "field" || e.left.name !== "evt.type") return any();
      let names: string[] | undefined;
      let op = e.op;
      if ((op === "=" || op === "==" || op === "!=") && e.right.kind === "value") names = [e.right.value];
      else if ((op === "in" || op === "intersects") && e.right.kind === "list") names = e.right.values;
      if (!names) return any();
      if (op === "!=") op = "=";
      const positive = e.op !== "!=";
      const set = new Set(names);
      return positive !== negated ? { neg: false, names: set } : { neg: true, names: set };
    }
    default:
      return any();
  }
}

export function evttypeCount(e: Expr): number {
  return size(types(e, false));
}

// Syscall and libsinsp meta-event names accepted as evt.type values; anything else is an unknown filter.
const KNOWN = new Set(
  `accept accept4 access acct add_key adjtimex alarm arch_prctl bind bpf brk capget capset chdir chmod chown
  chroot clock_adjtime clock_getres clock_gettime clock_nanosleep clock_settime clone clone3 close close_range
  connect copy_file_range creat delete_module dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_pwait
  epoll_pwait2 epoll_wait eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
  fallocate fanotify_init fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchownat fcntl fdatasync
  fgetxattr finit_module flistxattr flock fork fremovexattr fsconfig fsetxattr fsmount fsopen fspick fstat
  fstatfs fsync ftruncate futex futimesat get_mempolicy get_robust_list getcpu getcwd getdents getdents64
  getegid geteuid getgid getgroups getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom
  getresgid getresuid getrlimit getrusage getsid getsockname getsockopt gettid gettimeofday getuid getxattr
  init_module inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel io_destroy io_getevents
  io_setup io_submit io_uring_enter io_uring_register io_uring_setup ioctl ioperm iopl ioprio_get ioprio_set
  kcmp kexec_file_load kexec_load keyctl kill landlock_add_rule landlock_create_ruleset landlock_restrict_self
  lchown lgetxattr link linkat listen listxattr llistxattr llseek lookup_dcookie lremovexattr lseek lsetxattr
  lstat madvise mbind membarrier memfd_create memfd_secret migrate_pages mincore mkdir mkdirat mknod mknodat
  mlock mlock2 mlockall mmap mmap2 modify_ldt mount mount_setattr move_mount move_pages mprotect mq_getsetattr
  mq_notify mq_open mq_timedreceive mq_timedsend mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock
  munlockall munmap name_to_handle_at nanosleep newfstatat nfsservctl open open_by_handle_at open_tree openat
  openat2 pause perf_event_open personality pidfd_getfd pidfd_open pidfd_send_signal pipe pipe2 pivot_root
  pkey_alloc pkey_free pkey_mprotect poll ppoll prctl pread pread64 preadv preadv2 prlimit prlimit64
  process_madvise process_mrelease process_vm_readv process_vm_writev pselect6 ptrace pwrite pwrite64 pwritev
  pwritev2 quotactl quotactl_fd read readahead readlink readlinkat readv reboot recv recvfrom recvmmsg recvmsg
  remap_file_pages removexattr rename renameat renameat2 request_key restart_syscall rmdir rseq rt_sigaction
  rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_tgsigqueueinfo
  sched_get_priority_max sched_get_priority_min sched_getaffinity sched_getattr sched_getparam
  sched_getscheduler sched_rr_get_interval sched_setaffinity sched_setattr sched_setparam sched_setscheduler
  sched_yield seccomp select semctl semget semop semtimedop send sendfile sendfile64 sendmmsg sendmsg sendto
  set_mempolicy set_robust_list set_thread_area set_tid_address setdomainname setfsgid setfsuid setgid
  setgroups sethostname setitimer setns setpgid setpriority setregid setresgid setresuid setreuid setrlimit
  setsid setsockopt settimeofday setuid setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd
  signalfd4 socket socketpair splice stat stat64 statfs statx swapoff swapon symlink symlinkat sync
  sync_file_range syncfs sysctl sysfs sysinfo syslog tee tgkill time timer_create timer_delete
  timer_getoverrun timer_gettime timer_settime timerfd timerfd_create timerfd_gettime timerfd_settime times
  tkill truncate umask umount umount2 uname unlink unlinkat unshare uselib userfaultfd ustat utime utimensat
  utimes vfork vhangup vmsplice wait4 waitid write writev
  procexit switch container user group procinfo notification infra k8s mesos tracer drop meta
  signaldeliver page_fault cpu_hotplug pluginevent asyncevent container_json sysdigevent
  scapevent_log`.split(/\s+/),
);

const EQ_OPS = new Set(["=", "==", "!=", "in", "intersects"]);

/** The evt.type values in a condition that name no known event, in order of appearance. */
export function unknownEvttypes(e: Expr): string[] {
  const out: string[] = [];
  const visit = (n: Expr): void => {
    if (n.kind === "and" || n.kind === "or") n.children.forEach(visit);
    else if (n.kind === "not") visit(n.child);
    else if (
      n.kind === "binary" &&
      n.left.kind === "field" &&
      n.left.name === "evt.type" &&
      EQ_OPS.has(n.op)
    ) {
      const vals = n.right.kind === "value" ? [n.right.value] : n.right.kind === "list" ? n.right.values : [];
      for (const v of vals) if (!KNOWN.has(v) && !out.includes(v)) out.push(v);
    }
  };
  visit(e);
  return out;
}
