// Event names and event parameters of falcosecurity/libs 48dfd53c (driver/event_table.c,
// driver/ppm_events_public.h PPM_SC_FIELDS). Generated from those sources; regenerate rather than edit.
import type { ParamType } from "./types.js";

const list = (s: string): readonly string[] => s.trim().split(/\s+/);

/** Every event-table name and every syscall (ppm_sc) name: the values libsinsp accepts for evt.type. */
export const EVENT_TYPE_NAMES = list(`
  NA _llseek _newselect _sysctl accept accept4 access acct add_key adjtimex alarm arch_prctl asyncevent
  bdflush bind bpf brk cachestat capget capset chdir chmod chown chroot clock_adjtime clock_getres
  clock_gettime clock_nanosleep clock_settime clone clone3 close close_range connect container
  copy_file_range cpu_hotplug creat create_module delete_module drop dup dup2 dup3 epoll_create
  epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd
  eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fallocate fanotify_init
  fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchownat fcntl fcntl64 fdatasync fgetxattr
  file_getattr file_setattr finit_module flistxattr flock fork fremovexattr fsconfig fsetxattr fsmount
  fsopen fspick fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate futex futex_requeue futex_wait
  futex_waitv futex_wake futimesat get_kernel_syms get_mempolicy get_robust_list get_thread_area getcpu
  getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getitimer
  getpeername getpgid getpgrp getpid getpmsg getppid getpriority getrandom getresgid getresgid32 getresuid
  getresuid32 getrlimit getrusage getsid getsockname getsockopt gettid gettimeofday getuid getuid32
  getxattr getxattrat groupadded groupdeleted idle infra init_module inotify_add_watch inotify_init
  inotify_init1 inotify_rm_watch io_cancel io_destroy io_getevents io_pgetevents io_setup io_submit
  io_uring_enter io_uring_register io_uring_setup ioctl ioperm iopl ioprio_get ioprio_set ipc k8s kcmp
  kexec_file_load kexec_load keyctl kill landlock_add_rule landlock_create_ruleset landlock_restrict_self
  lchown lgetxattr link linkat listen listmount listns listxattr listxattrat llistxattr llseek
  lookup_dcookie lremovexattr lseek lsetxattr lsm_get_self_attr lsm_list_modules lsm_set_self_attr lstat
  lstat64 madvise map_shadow_stack mbind membarrier memfd_create memfd_secret mesos migrate_pages mincore
  mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 modify_ldt mount mount_setattr move_mount
  move_pages mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedsend mq_unlink mremap mseal
  msgctl msgget msgrcv msgsnd msync multiplexer munlock munlockall munmap na_1 name_to_handle_at nanosleep
  newfstatat nfsservctl nice notification oldfstat oldlstat oldolduname oldstat olduname open
  open_by_handle_at open_tree open_tree_attr openat openat2 page_fault page_fault_kernel page_fault_user
  pause pciconfig_iobase pciconfig_read pciconfig_write perf_event_open personality pidfd_getfd pidfd_open
  pidfd_send_signal pipe pipe2 pivot_root pkey_alloc pkey_free pkey_mprotect pluginevent poll ppoll prctl
  pread pread64 preadv preadv2 prlimit prlimit64 process_madvise process_mrelease process_vm_readv
  process_vm_writev procexit procinfo pselect6 ptrace pwrite pwrite64 pwritev pwritev2 query_module
  quotactl quotactl_fd read readahead readdir readlink readlinkat readv reboot recv recvfrom recvmmsg
  recvmsg remap_file_pages removexattr removexattrat rename renameat renameat2 request_key restart_syscall
  riscv_flush_icache riscv_hwprobe rmdir rseq rseq_slice_yield rt_sigaction rt_sigpending rt_sigprocmask
  rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_tgsigqueueinfo rtas s390_guarded_storage
  s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr s390_sthyi scapevent sched_get_priority_max
  sched_get_priority_min sched_getaffinity sched_getattr sched_getparam sched_getscheduler
  sched_process_exit sched_rr_get_interval sched_setaffinity sched_setattr sched_setparam
  sched_setscheduler sched_switch sched_yield seccomp select semctl semget semop semtimedop send sendfile
  sendfile64 sendmmsg sendmsg sendto set_mempolicy set_mempolicy_home_node set_robust_list set_thread_area
  set_tid_address setdomainname setfsgid setfsuid setgid setgid32 setgroups sethostname setitimer setns
  setpgid setpriority setregid setresgid setresgid32 setresuid setresuid32 setreuid setrlimit setsid
  setsockopt settimeofday setuid setuid32 setxattr setxattrat sgetmask shmat shmctl shmdt shmget shutdown
  sigaction sigaltstack signal signal_deliver signaldeliver signalfd signalfd4 sigpending sigprocmask
  sigreturn sigsuspend socket socketcall socketpair splice spu_create spu_run ssetmask stat stat64 statfs
  statfs64 statmount statx stime subpage_prot swapcontext swapoff swapon switch switch_endian symlink
  symlinkat sync sync_file_range sync_file_range2 syncfs sys_debug_setcontext syscall sysfs sysinfo syslog
  task task_file_anon_inode task_file_directory task_file_memfd task_file_pipe task_file_regular
  task_file_socket_inet task_file_socket_inet6 task_file_socket_netlink task_file_socket_unix tee tgkill
  time timer_create timer_delete timer_getoverrun timer_gettime timer_settime timerfd timerfd_create
  timerfd_gettime timerfd_settime times tkill tracer truncate ugetrlimit umask umount umount2 uname
  unknown unlink unlinkat unshare uprobe uretprobe uselib useradded userdeleted userfaultfd ustat utime
  utimensat utimes vfork vhangup vm86 vmsplice wait4 waitid waitpid write writev
`);

/** Names of the event table only (what evt.type.is.<name> accepts besides a numeric event code). */
export const EVENT_TABLE_NAMES = list(`
  syscall open close read write brk execve clone procexit NA socket bind connect listen accept send sendto
  recv recvfrom shutdown getsockname getpeername socketpair setsockopt getsockopt sendmsg sendmmsg recvmsg
  recvmmsg creat pipe eventfd futex stat lstat fstat stat64 lstat64 fstat64 epoll_wait poll select lseek
  llseek ioctl getcwd chdir fchdir mkdir rmdir openat link linkat unlink unlinkat pread pwrite readv
  writev preadv pwritev dup signalfd kill tkill tgkill nanosleep timerfd_create inotify_init getrlimit
  setrlimit prlimit switch drop fcntl mmap mmap2 munmap splice ptrace rename renameat symlink symlinkat
  fork vfork sendfile quotactl setresuid setresgid scapevent setuid setgid getuid geteuid getgid getegid
  getresuid getresgid container signaldeliver procinfo getdents getdents64 setns flock cpu_hotplug semop
  semctl ppoll mount umount k8s semget access chroot tracer mesos setsid notification unshare infra
  page_fault setpgid bpf seccomp mkdirat fchmodat chmod fchmod renameat2 userfaultfd pluginevent openat2
  mprotect execveat copy_file_range clone3 open_by_handle_at io_uring_setup io_uring_enter
  io_uring_register mlock munlock mlockall munlockall capset useradded userdeleted groupadded groupdeleted
  dup2 dup3 mlock2 fsconfig epoll_create epoll_create1 chown lchown fchown fchownat accept4 umount2 pipe2
  inotify_init1 eventfd2 signalfd4 prctl asyncevent memfd_create pidfd_getfd pidfd_open init_module
  finit_module mknod mknodat newfstatat process_vm_readv process_vm_writev delete_module setreuid setregid
  task task_file_pipe task_file_memfd task_file_regular task_file_directory task_file_socket_inet
  task_file_socket_inet6 task_file_socket_unix task_file_socket_netlink task_file_anon_inode close_range
  keyctl
`);

/**
 * Every event parameter name with the type of its first declaration in event order: what
 * `evt.arg.<name>` / `evt.rawarg.<name>` resolve to (libsinsp picks the longest matching name).
 */
export const EVENT_PARAMS: Readonly<Record<string, ParamType>> = {
  ID: "SYSCALLID",
  nativeID: "UINT16",
  name: "FSPATH",
  flags: "FLAGS32",
  mode: "UINT32",
  fd: "FD",
  dev: "UINT32",
  ino: "UINT64",
  res: "ERRNO",
  size: "UINT32",
  data: "BYTEBUF",
  exe: "CHARBUF",
  args: "BYTEBUF",
  tid: "PID",
  pid: "PID",
  ptid: "PID",
  cwd: "CHARBUF",
  fdlimit: "UINT64",
  uid: "UINT32",
  gid: "UINT32",
  domain: "ENUMFLAGS32",
  type: "UINT32",
  proto: "UINT32",
  addr: "SOCKADDR",
  tuple: "SOCKTUPLE",
  backlog: "INT32",
  queuepct: "UINT8",
  how: "ENUMFLAGS8",
  fd1: "FD",
  fd2: "FD",
  source: "UINT64",
  peer: "UINT64",
  level: "ENUMFLAGS8",
  optname: "ENUMFLAGS8",
  val: "DYN",
  optlen: "UINT32",
  msgcontrol: "BYTEBUF",
  creat_flags: "FLAGS16",
  initval: "UINT64",
  op: "FLAGS16",
  path: "FSPATH",
  maxevents: "ERRNO",
  fds: "FDLIST",
  timeout: "INT64",
  offset: "UINT64",
  whence: "ENUMFLAGS8",
  request: "UINT64",
  dirfd: "FD",
  oldpath: "FSPATH",
  newpath: "FSPATH",
  olddir: "FD",
  newdir: "FD",
  pos: "UINT64",
  mask: "UINT32",
  sig: "SIGTYPE",
  interval: "RELTIME",
  clockid: "UINT8",
  resource: "ENUMFLAGS8",
  cur: "INT64",
  max: "INT64",
  newcur: "INT64",
  newmax: "INT64",
  oldcur: "INT64",
  oldmax: "INT64",
  next: "PID",
  ratio: "UINT32",
  cmd: "ENUMFLAGS8",
  arg: "UINT64",
  pgft_maj: "UINT64",
  pgft_min: "UINT64",
  vm_size: "UINT32",
  vm_rss: "UINT32",
  vm_swap: "UINT32",
  length: "UINT64",
  prot: "FLAGS32",
  pgoffset: "UINT64",
  fd_in: "FD",
  fd_out: "FD",
  argument: "UINT64",
  env: "BYTEBUF",
  olddirfd: "FD",
  newdirfd: "FD",
  target: "CHARBUF",
  linkpath: "FSPATH",
  linkdirfd: "FD",
  status: "ERRNO",
  ret: "ERRNO",
  core: "UINT8",
  reaper_tid: "PID",
  out_fd: "FD",
  in_fd: "FD",
  id: "UINT32",
  quota_fmt: "FLAGS8",
  special: "CHARBUF",
  quotafilepath: "CHARBUF",
  dqb_bhardlimit: "UINT64",
  dqb_bsoftlimit: "UINT64",
  dqb_curspace: "UINT64",
  dqb_ihardlimit: "UINT64",
  dqb_isoftlimit: "UINT64",
  dqb_btime: "RELTIME",
  dqb_itime: "RELTIME",
  dqi_bgrace: "RELTIME",
  dqi_igrace: "RELTIME",
  dqi_flags: "FLAGS8",
  quota_fmt_out: "FLAGS8",
  ruid: "UID",
  euid: "UID",
  suid: "UID",
  rgid: "GID",
  egid: "GID",
  sgid: "GID",
  event_type: "UINT32",
  event_data: "UINT64",
  comm: "CHARBUF",
  cgroups: "BYTEBUF",
  vtid: "PID",
  vpid: "PID",
  pidns_init_start_ts: "UINT64",
  image: "CHARBUF",
  spid: "PID",
  dpid: "PID",
  cpu_usr: "UINT64",
  cpu_sys: "UINT64",
  nstype: "FLAGS32",
  operation: "FLAGS32",
  cpu: "UINT32",
  action: "UINT32",
  queuelen: "UINT32",
  queuemax: "UINT32",
  semid: "INT32",
  nsops: "UINT32",
  sem_num_0: "UINT16",
  sem_op_0: "INT16",
  sem_flg_0: "FLAGS16",
  sem_num_1: "UINT16",
  sem_op_1: "INT16",
  sem_flg_1: "FLAGS16",
  semnum: "INT32",
  sigmask: "SIGSET",
  dir: "FSPATH",
  json: "CHARBUF",
  key: "INT32",
  nsems: "INT32",
  semflg: "FLAGS32",
  tags: "CHARBUFARRAY",
  desc: "CHARBUF",
  tty: "INT32",
  description: "CHARBUF",
  scope: "CHARBUF",
  filename: "FSPATH",
  ip: "UINT64",
  error: "FLAGS32",
  vpgid: "PID",
  loginuid: "UID",
  cap_inheritable: "UINT64",
  cap_permitted: "UINT64",
  cap_effective: "UINT64",
  exe_ino: "UINT64",
  exe_ino_ctime: "ABSTIME",
  exe_ino_mtime: "ABSTIME",
  trusted_exepath: "FSPATH",
  pgid: "PID",
  res_or_fd: "DYN",
  plugin_id: "UINT32",
  resolve: "FLAGS32",
  pathname: "FSRELPATH",
  fdin: "FD",
  offin: "UINT64",
  len: "UINT64",
  fdout: "FD",
  offout: "UINT64",
  mountfd: "FD",
  entries: "UINT32",
  sq_entries: "UINT32",
  cq_entries: "UINT32",
  sq_thread_cpu: "UINT32",
  sq_thread_idle: "UINT32",
  features: "FLAGS32",
  to_submit: "UINT32",
  min_complete: "UINT32",
  opcode: "ENUMFLAGS16",
  nr_args: "UINT32",
  home: "CHARBUF",
  shell: "CHARBUF",
  container_id: "CHARBUF",
  oldfd: "FD",
  newfd: "FD",
  value_bytebuf: "BYTEBUF",
  value_charbuf: "CHARBUF",
  aux: "INT32",
  option: "ENUMFLAGS32",
  arg2_str: "CHARBUF",
  arg2_int: "INT64",
  pid_fd: "FD",
  target_fd: "FD",
  img: "BYTEBUF",
  uargs: "CHARBUF",
  ppid: "PID32",
  sid: "PID32",
  argv: "CHARBUFARRAY",
  exepath: "FSPATH",
  exe_ino_num: "UINT64",
  vtgid: "PID32",
  root: "FSPATH",
  start_time: "ABSTIME",
  ino_num: "UINT64",
  mnt_id: "UINT32",
  sk_type: "UINT16",
  sk_proto: "UINT16",
  local_ip: "IPV4ADDR",
  local_port: "PORT",
  remote_ip: "IPV4ADDR",
  remote_port: "PORT",
  sk_pointer: "UINT64",
  sun_path: "FSPATH",
  fd_type: "FLAGS8",
  first: "UINT32",
  last: "UINT32",
  arg2: "DYN",
  arg3: "DYN",
  arg4: "DYN",
  arg5: "DYN",
};

/**
 * The name of each event code 0…453 (PPM_EVENT_MAX = 454), in code order: enter and exit events
 * and every version of an event share a name. What the evt.type event-code search counts.
 */
export const EVENT_CODE_NAMES = list(`
  syscall syscall open open close close read read write write brk brk execve execve clone clone
  procexit NA socket socket bind bind connect connect listen listen accept accept send send sendto
  sendto recv recv recvfrom recvfrom shutdown shutdown getsockname getsockname getpeername
  getpeername socketpair socketpair setsockopt setsockopt getsockopt getsockopt sendmsg sendmsg
  sendmmsg sendmmsg recvmsg recvmsg recvmmsg recvmmsg accept accept creat creat pipe pipe eventfd
  eventfd futex futex stat stat lstat lstat fstat fstat stat64 stat64 lstat64 lstat64 fstat64
  fstat64 epoll_wait epoll_wait poll poll select select select select lseek lseek llseek llseek
  ioctl ioctl getcwd getcwd chdir chdir fchdir fchdir mkdir mkdir rmdir rmdir openat openat link
  link linkat linkat unlink unlink unlinkat unlinkat pread pread pwrite pwrite readv readv writev
  writev preadv preadv pwritev pwritev dup dup signalfd signalfd kill kill tkill tkill tgkill
  tgkill nanosleep nanosleep timerfd_create timerfd_create inotify_init inotify_init getrlimit
  getrlimit setrlimit setrlimit prlimit prlimit switch NA drop drop fcntl fcntl switch NA execve
  execve clone clone brk brk mmap mmap mmap2 mmap2 munmap munmap splice splice ptrace ptrace ioctl
  ioctl execve execve rename rename renameat renameat symlink symlink symlinkat symlinkat fork fork
  vfork vfork procexit NA sendfile sendfile quotactl quotactl setresuid setresuid setresgid
  setresgid scapevent NA setuid setuid setgid setgid getuid getuid geteuid geteuid getgid getgid
  getegid getegid getresuid getresuid getresgid getresgid execve execve clone clone fork fork vfork
  vfork clone clone fork fork vfork vfork container NA execve execve signaldeliver NA procinfo NA
  getdents getdents getdents64 getdents64 setns setns flock flock cpu_hotplug NA accept accept
  accept accept semop semop semctl semctl ppoll ppoll mount mount umount umount k8s NA semget
  semget access access chroot chroot tracer NA mesos NA container NA setsid setsid mkdir mkdir
  rmdir rmdir notification NA execve execve unshare unshare infra NA execve execve page_fault NA
  execve execve setpgid setpgid bpf bpf seccomp seccomp unlink unlink unlinkat unlinkat mkdirat
  mkdirat openat openat link link linkat linkat fchmodat fchmodat chmod chmod fchmod fchmod
  renameat2 renameat2 userfaultfd userfaultfd pluginevent NA container NA openat2 openat2 mprotect
  mprotect execveat execveat copy_file_range copy_file_range clone3 clone3 open_by_handle_at
  open_by_handle_at io_uring_setup io_uring_setup io_uring_enter io_uring_enter io_uring_register
  io_uring_register mlock mlock munlock munlock mlockall mlockall munlockall munlockall capset
  capset useradded NA userdeleted NA groupadded NA groupdeleted NA dup2 dup2 dup3 dup3 dup dup bpf
  bpf mlock2 mlock2 fsconfig fsconfig epoll_create epoll_create epoll_create1 epoll_create1 chown
  chown lchown lchown fchown fchown fchownat fchownat umount umount accept4 accept4 umount2 umount2
  pipe2 pipe2 inotify_init1 inotify_init1 eventfd2 eventfd2 signalfd4 signalfd4 prctl prctl
  asyncevent NA memfd_create memfd_create pidfd_getfd pidfd_getfd pidfd_open pidfd_open init_module
  init_module finit_module finit_module mknod mknod mknodat mknodat newfstatat newfstatat
  process_vm_readv process_vm_readv process_vm_writev process_vm_writev delete_module delete_module
  setreuid setreuid setregid setregid task NA task_file_pipe NA task_file_memfd NA
  task_file_regular NA task_file_directory NA task_file_socket_inet NA task_file_socket_inet6 NA
  task_file_socket_unix NA task_file_socket_netlink NA task_file_anon_inode NA NA close_range NA
  keyctl
`);
