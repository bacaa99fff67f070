/*
 * The Cryo context file: the on-disk contract of the engine, its only reader
 * (everything else asks cryo_describe, native/src/info.c, for JSON),
 * documented for users in docs/FORMAT.md.
 *
 * Layout:
 *   [file header, 64 bytes]
 *   [section payloads, each 8-byte aligned; the PAGES payload 4096-aligned]
 *   [section table: section_count entries of struct cryo_section_entry]
 *
 * All integers are little-endian (the file records the machine; x86_64 only).
 * Every section payload has its own XXH3-64 checksum in the table; the table
 * has one in the header; the header has one over itself.  A reader validates
 * the header, the table, every section's bounds and checksum, and the sizes of
 * all records before it uses any of them.
 */
#ifndef CRYO_FORMAT_H
#define CRYO_FORMAT_H

#include <stdint.h>

#define CRYO_MAGIC          "CRYOCTX\0"
#define CRYO_FORMAT_VERSION 5u
#define CRYO_MACHINE_X86_64 62u           /* ELF EM_X86_64 */
#define CRYO_PAGE_SIZE      4096u

struct cryo_file_header {
	char     magic[8];
	uint32_t version;
	uint32_t header_size;       /* sizeof(struct cryo_file_header) == 64 */
	uint32_t machine;
	uint32_t page_size;
	uint64_t table_offset;
	uint32_t section_count;
	uint32_t flags;             /* reserved, 0 */
	uint64_t file_size;         /* the whole file: a truncated file fails here */
	uint64_t table_checksum;    /* XXH3-64 of the section table */
	uint64_t header_checksum;   /* XXH3-64 of the 56 bytes before this field */
};
_Static_assert(sizeof(struct cryo_file_header) == 64, "struct cryo_file_header is part of the file format");

enum cryo_section_type {
	CRYO_SEC_INFO    = 1,  /* struct cryo_info + strings */
	CRYO_SEC_PROCESS = 2,  /* struct cryo_process + strings */
	CRYO_SEC_THREAD  = 3,  /* struct cryo_thread + xsave area + siginfos; one per thread */
	CRYO_SEC_VMAS    = 4,  /* sequence of struct cryo_vma + path */
	CRYO_SEC_FILES   = 5,  /* sequence of struct cryo_fd + path */
	CRYO_SEC_PAGEMAP = 6,  /* array of struct cryo_page_run */
	CRYO_SEC_PAGES   = 7,  /* raw page data, referenced by the page runs */
	CRYO_SEC_PIPES   = 8,  /* sequence of struct cryo_pipe + buffered data; one per file */
	CRYO_SEC_SOCKETPAIRS = 9, /* sequence of struct cryo_socketpair + queued messages; one per file */
	CRYO_SEC_SYSV_SHM = 10,   /* sequence of struct cryo_sysv_shm + contents; one per file */
	CRYO_SEC_TCP     = 11,     /* sequence of struct cryo_tcp + queued data; one per file */
	CRYO_SEC_SYSV_SEM = 12,   /* sequence of struct cryo_sysv_sem + values; one per file */
	CRYO_SEC_SYSV_MSG = 13,   /* sequence of struct cryo_sysv_msg + messages; one per file */
	CRYO_SEC_SHMEM_FILES = 14, /* sequence of struct cryo_shmem_file + contents; one per file */
	CRYO_SEC_SOCKOPTS = 15,   /* sequence of struct cryo_pool_sockopts + options: the pool's sockets'; one per file */
	CRYO_SEC_PAGE_RANGES = 20, /* array of struct cryo_page_range; one per process (none in older files) */
	CRYO_SEC_PAGE_SUMS = 31,   /* struct cryo_page_sums + one XXH3-64 per block of PAGES; one per process,
				    * in process order (none in older files: they restart eagerly only) */
};

/* The checksum of every block of a process's PAGES payload, so that a lazy
 * restart verifies each block it serves on its own (the section's checksum
 * covers the whole payload, which a lazy restart reads last, if at all).
 * Block i is payload bytes [i * block_size, (i + 1) * block_size), the last
 * one short; nr_blocks = ceil(payload length / block_size). */
#define CRYO_PAGE_SUM_BLOCK (64u * 1024)
struct cryo_page_sums {
	uint32_t block_size;        /* CRYO_PAGE_SUM_BLOCK in files written now; a power of two, 4 KiB..4 MiB */
	uint32_t reserved;          /* 0 */
	uint64_t nr_blocks;
	/* followed by uint64_t sums[nr_blocks] */
};
_Static_assert(sizeof(struct cryo_page_sums) == 16, "struct cryo_page_sums is part of the file format");

/*
 * A context file holds a process tree (or several, for a process group or a
 * session): a root is a process whose parent is not in the file; the first
 * process is one.  Process k (k-th PROCESS section, parents before their
 * children) owns the k-th VMAS,
 * FILES, PAGEMAP and PAGES sections and nr_threads THREAD sections, taken in
 * order.  INFO and PIPES are the file's.
 */

struct cryo_section_entry {
	uint32_t type;
	uint32_t flags;             /* reserved, 0 */
	uint64_t offset;
	uint64_t length;
	uint64_t checksum;          /* XXH3-64 of the payload */
};
_Static_assert(sizeof(struct cryo_section_entry) == 32, "struct cryo_section_entry is part of the file format");

/*
 * Strings follow their record as: u32 length (bytes, no terminator), the
 * bytes, then zero padding to the next 8-byte boundary.  A record's
 * record_size covers the fixed part and all its strings, so a reader can skip
 * records it does not understand.
 */

struct cryo_info {
	uint32_t record_size;
	uint32_t cryo_version;      /* engine version, major*10000+minor*100+patch */
	uint64_t time_ns;           /* CLOCK_REALTIME at capture */
	uint64_t freeze_ns;         /* how long the process was stopped */
	uint32_t uid, gid;          /* who took the checkpoint */
	/* strings: hostname, kernel release, user name, command line (NUL separated) */
};
_Static_assert(sizeof(struct cryo_info) == 32, "struct cryo_info is part of the file format");

#define CRYO_RLIMITS 16
#define CRYO_NSIG    64
#define CRYO_AUXV_WORDS 128
#define CRYO_XSTATE_MAX 16384       /* bytes of XSAVE area a reader accepts */

struct cryo_rlimit { uint64_t cur, max; };
_Static_assert(sizeof(struct cryo_rlimit) == 16, "struct cryo_rlimit is part of the file format");

struct cryo_itimer {            /* struct itimerval, flattened */
	int64_t interval_sec, interval_usec, value_sec, value_usec;
};
_Static_assert(sizeof(struct cryo_itimer) == 32, "struct cryo_itimer is part of the file format");

struct cryo_sigaction {         /* the kernel's struct sigaction on x86_64 */
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};
_Static_assert(sizeof(struct cryo_sigaction) == 32, "struct cryo_sigaction is part of the file format");

struct cryo_file_id {           /* what identifies a file saved by reference */
	uint64_t dev, ino, size;
	int64_t  mtime_sec, mtime_nsec;
	uint32_t mode, pad;
};
_Static_assert(sizeof(struct cryo_file_id) == 48, "struct cryo_file_id is part of the file format");

struct cryo_process {
	uint32_t record_size;
	int32_t  pid, ppid, pgid, sid;
	uint32_t uid[3], gid[3];    /* real, effective, saved */
	uint32_t umask;
	uint32_t personality;
	uint32_t nr_threads;
	uint32_t nr_shared_pending; /* siginfos (128 bytes each) after the strings */
	uint32_t auxv_words;        /* used entries of auxv[] */
	/* the mm fields restored by prctl(PR_SET_MM, PR_SET_MM_MAP) */
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv[CRYO_AUXV_WORDS];
	struct cryo_rlimit    rlimits[CRYO_RLIMITS];
	struct cryo_itimer    itimers[3];          /* REAL, VIRTUAL, PROF */
	struct cryo_sigaction sigactions[CRYO_NSIG]; /* index = signal - 1 */
	uint64_t vdso_start;        /* where [vdso] was, 0 if none */
	uint64_t vdso_checksum;     /* XXH3-64 of the vdso text: restart needs the same kernel vdso */
	uint64_t vdso_size;
	struct cryo_file_id exe_id;
	uint32_t state;             /* enum cryo_process_state */
	int32_t  exit_code;         /* a zombie's wait status */
	int32_t  ns_pid;            /* its PID inside its own PID namespace (cr_run --pid-ns) */
	uint32_t ns_depth;          /* how many PID namespaces below the checkpointer's: 0 or 1 */
	/* strings: comm, cwd, exe path; then nr_shared_pending siginfos */
};

/* After the pending siginfos of a PROCESS record (files from engine 0.1.0
 * with supplementary groups; older ones end before it, and a reader takes
 * the recorded user's groups from the user database then): */
#define CRYO_MAX_GROUPS 64
struct cryo_groups {
	uint32_t nr_groups;         /* supplementary group ids that follow, u32 each, padded to 8 bytes */
	uint32_t pad;
};
_Static_assert(sizeof(struct cryo_process) == 3664, "struct cryo_process is part of the file format");
_Static_assert(sizeof(struct cryo_groups) == 8, "struct cryo_groups is part of the file format");

/* After the supplementary groups of a PROCESS record (files from engine
 * 0.1.x with process attributes; older ones end before it, and a restart
 * leaves these as a fresh process has them): what prctl, /proc and
 * sched_getattr report.  The scheduling fields are every thread's (a
 * process whose threads differ is refused). */
#define CRYO_MEMBARRIER_PRIVATE_EXPEDITED           0x1u  /* MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED done */
#define CRYO_MEMBARRIER_PRIVATE_EXPEDITED_SYNC_CORE 0x2u
#define CRYO_MEMBARRIER_PRIVATE_EXPEDITED_RSEQ      0x4u
#define CRYO_MEMBARRIER_GLOBAL_EXPEDITED            0x8u  /* MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED done (seen with GET_REGISTRATIONS, Linux 6.3+) */
struct cryo_proc_attrs {
	uint32_t size;              /* sizeof(struct cryo_proc_attrs): a reader skips what it does not know */
	uint32_t child_subreaper;   /* PR_GET_CHILD_SUBREAPER */
	int32_t  pdeathsig;         /* PR_GET_PDEATHSIG */
	int32_t  oom_score_adj;     /* /proc/PID/oom_score_adj */
	uint32_t thp_disable;       /* PR_GET_THP_DISABLE */
	uint32_t no_new_privs;      /* PR_GET_NO_NEW_PRIVS */
	uint32_t membarrier;        /* CRYO_MEMBARRIER_* registrations */
	uint32_t sched_policy;      /* struct sched_attr, as sched_getattr reports it */
	uint64_t sched_flags;
	int32_t  sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t loginuid;          /* /proc/PID/loginuid (4294967295: unset) */
	uint32_t stopped;           /* 1: stopped by job control (SIGSTOP, SIGTSTP ...): comes back stopped by SIGSTOP */
	uint64_t cap_inheritable, cap_permitted, cap_effective, cap_bounding, cap_ambient;  /* every thread's */
};
_Static_assert(sizeof(struct cryo_proc_attrs) == 120, "struct cryo_proc_attrs is part of the file format");

enum cryo_process_state {
	CRYO_PROCESS_LIVE   = 0,
	CRYO_PROCESS_ZOMBIE = 1,    /* exited, not yet waited for: no memory, no threads, no files */
};

struct cryo_thread {
	uint32_t record_size;
	int32_t  tid;
	uint64_t regs[27];          /* struct user_regs_struct (NT_PRSTATUS) */
	uint64_t blocked;           /* blocked signal mask */
	uint64_t altstack_sp, altstack_size;
	int32_t  altstack_flags;
	uint32_t rseq_len;
	uint64_t rseq_addr;
	uint32_t rseq_sig;
	uint32_t rseq_flags;
	uint64_t robust_list_head, robust_list_len;
	uint64_t clear_child_tid;
	uint32_t xstate_size;       /* bytes of NT_X86_XSTATE that follow */
	uint32_t nr_pending;        /* per-thread siginfos (128 bytes each) after the xstate */
	int32_t  ns_tid;            /* its thread id inside the process's PID namespace */
	uint32_t pad;
};
_Static_assert(sizeof(struct cryo_thread) == 312, "struct cryo_thread is part of the file format");

enum cryo_vma_kind {
	CRYO_VMA_ANON_PRIVATE = 1,  /* heap, stack, anonymous: contents in PAGES */
	CRYO_VMA_ANON_SHARED  = 2,  /* MAP_SHARED|MAP_ANONYMOUS: contents in PAGES */
	CRYO_VMA_FILE_PRIVATE = 3,  /* by reference; written (COW) pages in PAGES */
	CRYO_VMA_FILE_SHARED  = 4,  /* by reference; the file holds the data */
	CRYO_VMA_VDSO         = 5,  /* [vdso]: moved, not copied */
	CRYO_VMA_VVAR         = 6,  /* [vvar], [vvar_vclock]: moved with the vdso */
	CRYO_VMA_SYSV_SHM     = 7,  /* a System V shared memory attachment: file.ino is the shmid */
};

/* flags of struct cryo_vma */
#define CRYO_VMA_GROWSDOWN   0x01u
#define CRYO_VMA_HUGEPAGE    0x02u  /* madvise(MADV_HUGEPAGE) */
#define CRYO_VMA_NOHUGEPAGE  0x04u  /* madvise(MADV_NOHUGEPAGE) */
#define CRYO_VMA_DONTFORK    0x08u
#define CRYO_VMA_DONTDUMP    0x10u
#define CRYO_VMA_WIPEONFORK  0x20u
#define CRYO_VMA_LOCKED      0x40u
#define CRYO_VMA_HEAP        0x80u  /* [heap] */
#define CRYO_VMA_STACK       0x100u /* [stack] */
#define CRYO_VMA_FILE_GONE   0x200u /* a mapping of a deleted file: a private one saved whole, by content; a shared one (ANON_SHARED) is its SHMEM_FILES object */
#define CRYO_VMA_INHERITED   0x400u /* a child's private mapping kept from its parent (fork): see struct cryo_page_range */
#define CRYO_VMA_DROPPABLE   0x800u /* MAP_DROPPABLE (Linux 6.11+): anonymous, its pages freed under memory pressure */
#define CRYO_VMA_BY_CONTENT  0x1000u /* with CRYO_VMA_FILE_GONE: the file was there, saved by content on request (cr_checkpoint --save-*) */

struct cryo_vma {
	uint32_t record_size;
	uint32_t kind;
	uint64_t start, end;
	uint32_t prot;              /* PROT_* */
	uint32_t flags;             /* CRYO_VMA_* */
	uint64_t pgoff;             /* file offset in bytes */
	uint32_t open_flags;        /* O_RDONLY or O_RDWR, for file mappings */
	uint32_t pad;
	struct cryo_file_id file;
	/* string: path (file mappings), or the kernel's name ([vdso], [heap], ...) */
};
_Static_assert(sizeof(struct cryo_vma) == 96, "struct cryo_vma is part of the file format");

enum cryo_fd_kind {
	CRYO_FD_REGULAR  = 1,       /* a regular file or directory, by reference */
	CRYO_FD_DEVICE   = 2,       /* /dev/null, /dev/zero, /dev/urandom ...: reopened by path */
	CRYO_FD_INHERIT  = 3,       /* stdin/out/err to a terminal, pipe or socket outside: cr_restart's own */
	CRYO_FD_PIPE     = 4,       /* an end of a pipe within the tree: file.ino names it in PIPES; detail: cryo_fd_pipe */
	CRYO_FD_PARENT   = 5,       /* the same open file as the parent's fd parent_fd (inherited by fork) */
	CRYO_FD_EVENTFD  = 6,       /* detail: struct cryo_fd_eventfd */
	CRYO_FD_TIMERFD  = 7,       /* detail: struct cryo_fd_timerfd */
	CRYO_FD_SIGNALFD = 8,       /* detail: struct cryo_fd_signalfd */
	CRYO_FD_EPOLL    = 9,       /* detail: an array of struct cryo_epoll_target */
	CRYO_FD_SOCKET   = 10,      /* an end of a connected Unix socket pair within the tree: file.ino names it */
	CRYO_FD_CLOSED_SOCKET = 11, /* a socket to the outside: comes back unconnected (as BLCR did); detail: cryo_fd_socket */
	CRYO_FD_TCP      = 12,      /* a TCP socket of the tree (listening, or connected to another of the tree): file.ino names it in TCP */
	CRYO_FD_INOTIFY  = 13,      /* detail: its watches, each struct cryo_inotify_watch + path */
	CRYO_FD_SHMEM    = 14,      /* a memfd or an unlinked POSIX shm file: file.dev/ino name it in SHMEM_FILES */
	CRYO_FD_UNIX_BOUND = 15,    /* an unconnected Unix socket bound to a name, listening or not: bound again; detail: cryo_fd_unix_bound */
	CRYO_FD_NET_SOCKET = 16,    /* a socket made again by its own calls (socket, options, bind, connect); detail: cryo_fd_net_socket + options */
};

/* A shared memory object the tree holds open (memfd, unlinked /dev/shm
 * file), with its contents (size bytes, padded to 8): the same object as
 * any mapping with the same device and inode.  Seals are not kept.
 * With flags set (a file saved by content), what follows is instead: u64
 * nr_extents, nr_extents pairs {u64 offset, u64 length} (the data, the rest
 * are holes), their bytes one after the other (padded to 8), then the
 * file's path as a string; size is the file's size. */
struct cryo_shmem_file {
	uint32_t record_size;
	uint32_t flags;             /* CRYO_SHMEM_*; 0 in older files */
	uint64_t dev, ino;
	uint64_t size;
};
#define CRYO_SHMEM_UNLINKED 0x1u    /* a deleted file still open or mapped: recreated unlinked in its directory */
#define CRYO_SHMEM_RECREATE 0x2u    /* a small file in a tmp directory mapped shared: recreated at its path if gone */
_Static_assert(sizeof(struct cryo_shmem_file) == 32, "struct cryo_shmem_file is part of the file format");

/* One watch of an inotify descriptor: the path follows (path_len bytes,
 * padded to 8).  Events already queued are not kept. */
struct cryo_inotify_watch {
	int32_t  wd;
	uint32_t mask;
	uint32_t path_len;
	uint32_t pad;
};
_Static_assert(sizeof(struct cryo_inotify_watch) == 16, "struct cryo_inotify_watch is part of the file format");

struct cryo_fd_socket {
	int32_t domain, type;       /* SO_DOMAIN, SO_TYPE */
};
_Static_assert(sizeof(struct cryo_fd_socket) == 8, "struct cryo_fd_socket is part of the file format");

/* The detail of an unconnected Unix socket bound to a path (name_len bytes
 * of name, no NUL), or to an abstract name (name[0] is 0): at a restart a
 * stale socket file at the path is removed, the socket bound again and, if
 * it was listening, listening again with its backlog. */
struct cryo_fd_unix_bound {
	int32_t  type;              /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	uint32_t listening;         /* 1: listen(backlog) */
	uint32_t backlog;
	uint32_t name_len;          /* bytes of sun_path used, at most 108 */
	char     name[108];
	uint32_t flags;             /* CRYO_UNIX_BOUND_*; 0 in older files */
};
#define CRYO_UNIX_BOUND_UNLINKED 0x1u   /* its socket file was removed: bound again, then the file removed */
/* A datagram socket with messages queued to read (UCX's wake-up socket): the
 * struct is followed by u64 n, then n bytes of messages (u32 length + bytes
 * each, at most CRYO_UNIX_BOUND_MAX_MSG), padded to 8, then the options.
 * They are sent to it again at restart, from an unnamed socket. */
#define CRYO_UNIX_BOUND_QUEUED 0x2u
#define CRYO_UNIX_BOUND_MAX_MSG 3840u
_Static_assert(sizeof(struct cryo_fd_unix_bound) == 128, "cryo_fd_unix_bound is on disk");

/* The detail of a pipe end (CRYO_FD_PIPE; none: the pool's open file).  A
 * second open file of the same pipe and direction (a FIFO opened twice:
 * O_NONBLOCK and O_APPEND are the open file's), and any O_RDWR one, is an
 * open file of its own, reopened from the pool's. */
struct cryo_fd_pipe {
	uint32_t own_open_file;     /* 1: an open file of its own */
	uint32_t flags;             /* CRYO_PIPE_*; 0 in older files */
};
/* A FIFO's reader that has never seen a writer (opened O_NONBLOCK, none
 * since: poll() gives it no POLLHUP), and no process holds it for writing:
 * its pipe is made again without a writer, so it still sees none. */
#define CRYO_PIPE_NO_WRITER_SEEN 0x1u
_Static_assert(sizeof(struct cryo_fd_pipe) == 8, "cryo_fd_pipe is on disk");

/* The detail of an event descriptor: the second string of its FILES record. */
struct cryo_fd_eventfd {
	uint64_t count;
	uint32_t semaphore;         /* EFD_SEMAPHORE */
	uint32_t pad;
};
_Static_assert(sizeof(struct cryo_fd_eventfd) == 16, "struct cryo_fd_eventfd is part of the file format");

struct cryo_fd_timerfd {
	int32_t  clockid;
	uint32_t settime_flags;     /* TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET */
	uint64_t ticks;             /* expirations not yet read */
	int64_t  value_sec, value_nsec;         /* time left until the next expiration */
	int64_t  interval_sec, interval_nsec;
};
_Static_assert(sizeof(struct cryo_fd_timerfd) == 48, "struct cryo_fd_timerfd is part of the file format");

struct cryo_fd_signalfd {
	uint64_t mask;
};
_Static_assert(sizeof(struct cryo_fd_signalfd) == 8, "struct cryo_fd_signalfd is part of the file format");

/* The detail of a regular file's record: the locks held through it. */
enum cryo_lock_kind {
	CRYO_LOCK_FLOCK = 1,        /* flock(2): belongs to the open file */
	CRYO_LOCK_POSIX = 2,        /* fcntl F_SETLK: belongs to the process */
	CRYO_LOCK_OFD   = 3,        /* fcntl F_OFD_SETLK: belongs to the open file */
};

struct cryo_lock {
	uint32_t kind;              /* enum cryo_lock_kind */
	uint32_t write;             /* 1: exclusive / write lock, 0: shared / read lock */
	int64_t  start;
	int64_t  len;               /* 0: to the end of the file, as fcntl has it */
};
_Static_assert(sizeof(struct cryo_lock) == 24, "struct cryo_lock is part of the file format");

struct cryo_epoll_target {
	int32_t  fd;                /* the descriptor registered (in the same process) */
	uint32_t events;
	uint64_t data;
};
_Static_assert(sizeof(struct cryo_epoll_target) == 16, "struct cryo_epoll_target is part of the file format");

struct cryo_fd {
	uint32_t record_size;
	uint32_t kind;
	int32_t  fd;
	uint32_t open_flags;        /* from fdinfo: O_ACCMODE, O_APPEND, O_NONBLOCK, ... */
	uint32_t fd_flags;          /* FD_CLOEXEC */
	int32_t  dup_of;            /* a lower fd sharing this open file (dup), or -1 */
	uint64_t pos;
	int32_t  parent_fd;         /* CRYO_FD_PARENT: the parent's fd, else -1 */
	uint32_t pad;
	struct cryo_file_id file;
	/* strings: path (what /proc/PID/fd/N pointed to), then the kind's detail (may be empty) */
};
_Static_assert(sizeof(struct cryo_fd) == 88, "struct cryo_fd is part of the file format");

/* A pipe between processes of the tree, with the data in its buffer; a FIFO
 * (named pipe) has its path after the data. */
struct cryo_pipe {
	uint32_t record_size;
	uint32_t capacity;          /* F_GETPIPE_SZ */
	uint64_t ino;               /* the pipe's inode at checkpoint time: its name in FILES */
	uint64_t data_len;          /* bytes that follow, then padding to 8, then a string: the FIFO's path or "" */
};
_Static_assert(sizeof(struct cryo_pipe) == 24, "struct cryo_pipe is part of the file format");

/* Two connected Unix sockets of the tree, with what each had queued to read.
 * The data of each end is a sequence of messages: u32 length, the bytes (a
 * stream socket's queue is one message), padded to 8 at the end. */
struct cryo_socketpair {
	uint32_t record_size;
	uint32_t type;              /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	uint64_t ino[2];            /* the two sockets' inodes at checkpoint time */
	uint64_t queued_len[2];     /* bytes of message data that follow for each end */
	uint32_t shutdown[2];       /* each end's shutdown() state, the kernel's: 1 no more reading, 2 no more writing */
};
_Static_assert(sizeof(struct cryo_socketpair) == 48, "cryo_socketpair is on disk");

/* A System V shared memory segment the tree uses, with its contents (all of
 * it, zero pages included: segments are small next to process memory). */
struct cryo_sysv_shm {
	uint32_t record_size;
	int32_t  shmid;             /* comes back with this id (shm_next_id) */
	int32_t  key;
	uint32_t mode;              /* permission bits */
	uint64_t size;              /* bytes of contents that follow, padded to 8 */
};
_Static_assert(sizeof(struct cryo_sysv_shm) == 24, "struct cryo_sysv_shm is part of the file format");

/* A System V semaphore set the tree has operated on (a semaphore's last
 * operation was by a process of the tree), with its values (u16 each,
 * padded to 8).  Undo (SEM_UNDO) adjustments are not kept. */
struct cryo_sysv_sem {
	uint32_t record_size;
	int32_t  semid;
	int32_t  key;
	uint32_t mode;
	uint32_t nsems;
	uint32_t pad;
};
_Static_assert(sizeof(struct cryo_sysv_sem) == 24, "struct cryo_sysv_sem is part of the file format");

/* A System V message queue the tree has used (last send or receive by a
 * process of the tree), with its messages: each an i64 type, a u32 length,
 * u32 padding, the text padded to 8. */
struct cryo_sysv_msg {
	uint32_t record_size;
	int32_t  msqid;
	int32_t  key;
	uint32_t mode;
	uint32_t nr_messages;
	uint32_t pad;
	uint64_t bytes;             /* of encoded messages that follow */
};
_Static_assert(sizeof(struct cryo_sysv_msg) == 32, "struct cryo_sysv_msg is part of the file format");

/* A TCP socket of the tree: listening, or one end of a connection whose
 * other end is in the tree too (on loopback), saved with TCP_REPAIR: its
 * sequence numbers, window, options and both queues. */
struct cryo_tcp {
	uint32_t record_size;
	uint32_t state;             /* TCP_ESTABLISHED (1) or TCP_LISTEN (10) */
	uint64_t ino;
	uint8_t  local[128], peer[128];         /* struct sockaddr_storage */
	uint32_t local_len, peer_len;
	int32_t  domain;
	uint32_t snd_seq, rcv_seq;  /* TCP_QUEUE_SEQ: after the last byte queued to send / received */
	uint32_t mss, snd_wscale, rcv_wscale, options;  /* TCPI_OPT_* */
	uint32_t window[5];         /* struct tcp_repair_window */
	uint32_t timestamp;
	int32_t  nodelay;
	uint32_t pad;
	uint64_t send_len, recv_len;            /* bytes that follow: the send queue, then the receive queue */
};
_Static_assert(sizeof(struct cryo_tcp) == 360, "struct cryo_tcp is part of the file format");

/*
 * Socket options, as a sequence of struct cryo_sockopt, each followed by
 * len bytes of value padded to 8: what getsockopt(level, name) answered
 * where it differs from a fresh socket of the same kind (SO_REUSEADDR
 * always).  They follow the fixed part of the detail of CRYO_FD_NET_SOCKET,
 * CRYO_FD_UNIX_BOUND and CRYO_FD_CLOSED_SOCKET records (to the detail's end),
 * and a struct cryo_pool_sockopts record.  Some entries are not options
 * of getsockopt's: level SOL_SOCKET name SO_ATTACH_FILTER holds a classic
 * BPF filter (struct sock_filter[], SO_GET_FILTER), SOL_NETLINK
 * NETLINK_ADD_MEMBERSHIP one multicast group (u32) a netlink socket is in,
 * IPPROTO_IP IP_ADD_MEMBERSHIP (struct ip_mreqn) and IPPROTO_IPV6
 * IPV6_ADD_MEMBERSHIP (struct ipv6_mreq) one IP multicast group a datagram
 * socket is in, and SO_RCVBUF / SO_SNDBUF are the doubled values getsockopt reports (set
 * again with SO_RCVBUFFORCE / SO_SNDBUFFORCE and half of it).  A reader
 * refuses an option it does not know.
 */
struct cryo_sockopt {
	int32_t  level;
	int32_t  name;
	uint32_t len;               /* bytes of value that follow, at most 4032 (a filter of 504 instructions) */
	uint32_t pad;
};
_Static_assert(sizeof(struct cryo_sockopt) == 16, "cryo_sockopt is on disk");

/* flags of struct cryo_fd_net_socket */
#define CRYO_NET_BOUND     0x1u     /* bind(local) */
#define CRYO_NET_CONNECTED 0x2u     /* connect(peer) */

/* The detail of a CRYO_FD_NET_SOCKET: a UDP, UDP-Lite, ICMP (ping) or raw
 * socket, IPv4 or IPv6, bound and connected or not; a TCP socket never
 * connected, bound or not; a netlink socket; an unconnected Unix socket
 * without a name, or a Unix datagram socket connected to a named one.
 * Made again with socket(domain, type, protocol), its options, bind(local)
 * and connect(peer), at the same address and port.  Nothing was queued. */
struct cryo_fd_net_socket {
	int32_t  domain;            /* AF_INET, AF_INET6, AF_NETLINK, AF_UNIX */
	int32_t  type;              /* SOCK_DGRAM, SOCK_STREAM, SOCK_RAW, SOCK_SEQPACKET */
	int32_t  protocol;          /* SO_PROTOCOL */
	uint32_t flags;             /* CRYO_NET_* */
	uint32_t local_len, peer_len;
	uint8_t  local[128], peer[128];         /* struct sockaddr_storage: getsockname, getpeername */
	/* then the options (struct cryo_sockopt), to the end of the detail */
};
_Static_assert(sizeof(struct cryo_fd_net_socket) == 280, "cryo_fd_net_socket is on disk");

/* The options of a socket of the pool (a TCP socket of section TCP, an end
 * of a socket pair of section SOCKETPAIRS), named by its inode; the record
 * holds its options to its end.  A listener's backlog is here too. */
struct cryo_pool_sockopts {
	uint32_t record_size;
	uint32_t backlog;           /* a TCP listener's listen() backlog; 0: none recorded */
	uint64_t ino;
};
_Static_assert(sizeof(struct cryo_pool_sockopts) == 16, "cryo_pool_sockopts is on disk");

/* A run of consecutive pages of one mapping, stored contiguously in PAGES. */
struct cryo_page_run {
	uint64_t vaddr;
	uint64_t nr_pages;
	uint64_t data_offset;       /* from the start of the PAGES payload */
};
_Static_assert(sizeof(struct cryo_page_run) == 24, "struct cryo_page_run is part of the file format");

/*
 * Compressed page data (cr_checkpoint --compress).  A PAGES section with
 * CRYO_PAGES_BLOCKS in its table entry's flags holds its page data as blocks
 * (each at most 4 MiB of page data, a multiple of 4096 bytes), stored one
 * after the other, each starting on a 4096-byte boundary of the payload and
 * zero-padded to the next one: a zstd frame, or the page data as it is where
 * it did not compress.  The section right after it in the table is its
 * PAGE_BLOCKS index: one struct cryo_page_block per block, in order, their
 * page data contiguous from 0 (the page runs' data_offset counts page data,
 * not stored bytes), their stored bytes tiling the payload exactly.
 */
#define CRYO_PAGES_BLOCKS 1u        /* struct cryo_section_entry.flags of a PAGES section */
enum { CRYO_SEC_PAGE_BLOCKS = 21 };  /* array of struct cryo_page_block; right after its PAGES */
enum {
	CRYO_BLOCK_RAW  = 0,        /* stored as it is: stored_len == raw_len */
	CRYO_BLOCK_ZSTD = 1,        /* one zstd frame that decompresses to raw_len bytes */
	CRYO_BLOCK_ZSTD_SHUFFLE8 = 2, /* the same, of the data byte-shuffled by 8 (as HDF5's and Blosc's
				       * shuffle): byte k of every 8-byte word, word by word, for k = 0..7 */
};
#define CRYO_BLOCK_MAX (4u << 20)   /* page data in one block, at most */

struct cryo_page_block {
	uint64_t raw_offset;        /* of its page data, from the start of the page data */
	uint64_t stored_offset;     /* of its stored bytes, from the start of the PAGES payload */
	uint32_t raw_len;           /* bytes of page data: a multiple of 4096, 1 page to CRYO_BLOCK_MAX */
	uint32_t stored_len;        /* bytes stored; the block takes them rounded up to 4096 */
	uint32_t encoding;          /* CRYO_BLOCK_* */
	uint32_t reserved;          /* 0 */
	uint64_t checksum;          /* XXH3-64 of the stored_len stored bytes */
};
_Static_assert(sizeof(struct cryo_page_block) == 40, "struct cryo_page_block is part of the file format");

/* Pages of a mapping with something to say besides their data, in the
 * process's PAGE_RANGES section, by address, none overlapping.
 * CRYO_RANGE_PARENTS: in a CRYO_VMA_INHERITED mapping, pages that were the
 * same physical pages as the parent's (copy-on-write, not yet written by
 * either): the child keeps the mapping it inherits from its restored parent,
 * these pages stay shared, every other page of the mapping is dropped
 * (MADV_DONTNEED) before the child's own pages from PAGES go in.
 * CRYO_RANGE_GUARD: guard pages (MADV_GUARD_INSTALL): installed again. */
enum cryo_page_range_kind {
	CRYO_RANGE_PARENTS = 1,
	CRYO_RANGE_GUARD   = 2,
};
struct cryo_page_range {
	uint64_t vaddr;
	uint64_t nr_pages;
	uint32_t kind;              /* enum cryo_page_range_kind */
	uint32_t pad;
};
_Static_assert(sizeof(struct cryo_page_range) == 24, "cryo_page_range is on disk");

/* The detail of a memfd's CRYO_FD_SHMEM record (none in older files: the
 * memfd came back as "cryo-shmem", mode 0777, unsealed).  Its name is in
 * the record's path, "/memfd:NAME (deleted)". */
struct cryo_fd_memfd {
	uint32_t seals;             /* F_GET_SEALS: F_SEAL_SEAL, _SHRINK, _GROW, _WRITE, _FUTURE_WRITE, _EXEC */
	uint32_t mode;              /* st_mode & 07777: 0777 (MFD_EXEC or neither), 0666 with F_SEAL_EXEC (MFD_NOEXEC_SEAL) */
};
_Static_assert(sizeof(struct cryo_fd_memfd) == 8, "cryo_fd_memfd is on disk");

/* ---- Thread names, POSIX timers, pidfds, /proc files, descriptor owners ---- */

/* After the pending siginfos of a THREAD record (files from engine 0.1.x
 * with thread names; older ones end before it, and their threads keep the
 * process's name): the thread's name, /proc/PID/task/TID/comm. */
struct cryo_thread_name {
	char name[16];              /* NUL-padded, as PR_GET_NAME gives it */
};
_Static_assert(sizeof(struct cryo_thread_name) == 16, "struct cryo_thread_name is part of the file format");

/* After the thread name (files of format 5 written from session 6 on;
 * older ones end at the name, and their threads run on the restarter's
 * CPUs): the thread's CPU affinity as sched_getaffinity gives it, then
 * nr_bytes of mask.  A program that pinned its threads (GROMACS's mdrun -pin, OpenMP's
 * OMP_PROC_BIND, taskset) finds them pinned again. */
#define CRYO_AFFINITY_MAX 1024      /* bytes of mask: 8192 CPUs */
struct cryo_thread_affinity {
	uint32_t nr_bytes;          /* 8 to CRYO_AFFINITY_MAX, a multiple of 8 */
	uint32_t flags;             /* 0 */
};
_Static_assert(sizeof(struct cryo_thread_affinity) == 8, "struct cryo_thread_affinity is part of the file format");

enum {
	CRYO_SEC_POSIX_TIMERS = 18, /* sequence of struct cryo_posix_timer; one per process, in process order */
};

/* A POSIX timer (timer_create) of a process, from /proc/PID/timers and an
 * injected timer_gettime: it comes back with the same id (Linux 6.17+,
 * PR_TIMER_CREATE_RESTORE_IDS), the same signal and value, armed with the
 * time it had left and its interval.  The overrun count of a signal
 * already delivered is not kept. */
struct cryo_posix_timer {
	uint32_t record_size;
	int32_t  id;                /* the timer_t the process holds */
	int32_t  clockid;           /* CLOCK_REALTIME, _MONOTONIC, _BOOTTIME, _TAI, the _ALARM ones, or the process's CPU clock (-6) */
	int32_t  notify;            /* SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID | SIGEV_SIGNAL */
	int32_t  signo;
	int32_t  thread;            /* SIGEV_THREAD_ID: the index of the THREAD record it signals, else -1 */
	uint64_t sigval;            /* sigev_value */
	int64_t  value_sec, value_nsec;         /* time left until it expires (0, 0: disarmed) */
	int64_t  interval_sec, interval_nsec;
	/* from here on absent in files before overruns were recorded (record_size 64: overrun 0) */
	int32_t  overrun;           /* timer_getoverrun: the overrun count of the signal last delivered */
	uint32_t reserved;          /* 0 */
};
_Static_assert(sizeof(struct cryo_posix_timer) == 72, "struct cryo_posix_timer is part of the file format");
#define CRYO_POSIX_TIMER_V1_SIZE 64 /* a record without overrun */

enum {
	CRYO_FD_PIDFD = 23,         /* a pidfd of a process of the tree; detail: struct cryo_fd_pidfd */
	CRYO_FD_PROC  = 24,         /* a /proc file of a process of the tree, or one of its namespaces; detail: struct cryo_fd_proc + the path below /proc/PID */
	CRYO_FD_OPATH = 25,         /* an O_PATH descriptor (of a file, directory, symbolic link ...): reopened by path */
};

/* The detail of a pidfd: the process it refers to (its PID at checkpoint
 * time, a process of the tree).  It is opened again (pidfd_open, with
 * PIDFD_NONBLOCK if the open file had O_NONBLOCK) once the whole tree
 * exists; one inherited across fork becomes an open file of its own. */
struct cryo_fd_pidfd {
	int32_t  pid;
	uint32_t pad;
};
_Static_assert(sizeof(struct cryo_fd_pidfd) == 8, "cryo_fd_pidfd is on disk");

/* The detail of a /proc file of a process of the tree: that process (its
 * PID at checkpoint time), then the path below /proc/PID ("status",
 * "ns/net", ...; rest_len bytes, no NUL).  Reopened at /proc/NEWPID/REST,
 * at its offset, once the whole tree exists. */
struct cryo_fd_proc {
	int32_t  pid;
	uint32_t rest_len;
};
_Static_assert(sizeof(struct cryo_fd_proc) == 8, "cryo_fd_proc is on disk");

/* After the detail string of a FILES record (files from engine 0.1.x with
 * descriptor owners; older ones end before it): whom the open file signals
 * (F_SETOWN_EX, F_SETSIG; O_ASYNC is in open_flags) and its lease
 * (F_SETLEASE).  The owner is a process, thread or process group of the
 * tree, named by its process's PID in the image. */
struct cryo_fd_owner {
	uint32_t size;              /* sizeof(struct cryo_fd_owner): a reader skips what it does not know */
	int32_t  owner_type;        /* F_OWNER_TID (0), F_OWNER_PID (1), F_OWNER_PGRP (2) */
	int32_t  owner_pid;         /* 0: no owner; else the owner process (a group's leader) */
	int32_t  owner_thread;      /* F_OWNER_TID: the index of that process's THREAD record */
	int32_t  signal;            /* F_GETSIG: 0 is SIGIO */
	uint32_t lease;             /* 0: none, 1: a read lease (F_RDLCK), 2: a write lease (F_WRLCK) */
};
_Static_assert(sizeof(struct cryo_fd_owner) == 24, "struct cryo_fd_owner is part of the file format");

enum {
	CRYO_SEC_SECCOMP = 19,      /* one per process, in process order: per thread with filters, struct cryo_seccomp_thread + its filters */
};

/* The seccomp filters (SECCOMP_MODE_FILTER) of one thread, oldest first:
 * each a struct cryo_seccomp_filter and its nr_insns BPF instructions
 * (struct sock_filter, 8 bytes each).  Installed again in that thread after
 * every other step of the restart. */
struct cryo_seccomp_thread {
	uint32_t record_size;
	uint32_t thread;            /* the index of its THREAD record */
	uint32_t nr_filters;
	uint32_t pad;
};
_Static_assert(sizeof(struct cryo_seccomp_thread) == 16, "struct cryo_seccomp_thread is part of the file format");

struct cryo_seccomp_filter {
	uint32_t flags;             /* SECCOMP_FILTER_FLAG_LOG (PTRACE_SECCOMP_GET_METADATA) */
	uint32_t nr_insns;          /* 1 to 4096 (BPF_MAXINSNS) */
};
_Static_assert(sizeof(struct cryo_seccomp_filter) == 8, "struct cryo_seccomp_filter is part of the file format");

/* ---- files known by their content (filehash.c) ---- */

/* Section 40, FILE_HASHES, once per file (none in older files): one record
 * per file the restart opens again by name and needs unchanged (the
 * executable, a file mapped privately, a regular file open read-only) that
 * was at most CRYO_HASH_FILE_MAX bytes (64 MiB unless set), while the
 * checkpoint's total stayed under 1 GiB.  A restart takes such a file as
 * unchanged if its size is the same and either its inode and mtime are too
 * (no hashing) or its content hashes the same; a file with no record is
 * judged by size and mtime alone, as before. */
enum { CRYO_SEC_FILE_HASHES = 40 };
#define CRYO_HASH_XXH3_64 1u
struct cryo_file_hash {
	uint32_t record_size;
	uint32_t algorithm;         /* CRYO_HASH_XXH3_64: XXH3-64 of the whole file; a reader ignores others */
	uint64_t dev, ino, size;    /* the file as struct cryo_file_id names it */
	int64_t  mtime_sec, mtime_nsec;
	uint64_t hash;
};
_Static_assert(sizeof(struct cryo_file_hash) == 56, "struct cryo_file_hash is part of the file format");

/* ---- terminals (ttys.c) ---- */

/* Section 17, TTYS, once per file: one struct cryo_tty per pty pair whose
 * master the tree holds, and one (CRYO_TTY_OUTSIDE) per session of the file
 * whose controlling terminal leads outside it. */
enum { CRYO_SEC_TTYS = 17 };

enum cryo_fd_tty_kind {
	CRYO_FD_PTY_MASTER = 20,    /* a pty master (/dev/ptmx) of the tree; detail: cryo_fd_tty, its pair in TTYS */
	CRYO_FD_PTY_SLAVE  = 21,    /* /dev/pts/N whose master the tree holds; detail: cryo_fd_tty */
	CRYO_FD_DEV_TTY    = 22,    /* /dev/tty: the process's controlling terminal, a pty of the tree; detail: cryo_fd_tty */
};

struct cryo_fd_tty {
	uint32_t index;             /* N of /dev/pts/N: names its struct cryo_tty */
	uint32_t pad;
};
_Static_assert(sizeof(struct cryo_fd_tty) == 8, "cryo_fd_tty is on disk");

#define CRYO_TTY_LOCKED  0x1u       /* TIOCGPTLCK: the slave may not be opened */
#define CRYO_TTY_PACKET  0x2u       /* TIOCPKT on the master */
#define CRYO_TTY_OUTSIDE 0x4u       /* not a pair: session sid's controlling terminal (device rdev) is outside the file */
#define CRYO_TTY_STOPPED 0x8u       /* the slave's output is stopped by its stop character (^S, IXON): its start character resumes it */
#define CRYO_TTY_TCOOFF  0x10u      /* the slave's output is stopped by tcflow(TCOOFF): only TCOON resumes it */

/* A pty pair: the slave's termios and window size (read and set through the
 * master), the master's packet mode, the lock, and the session whose
 * controlling terminal the slave is, with its foreground process group.
 * Nothing was queued in either direction (else the checkpoint is refused). */
struct cryo_tty {
	uint32_t record_size;
	uint32_t index;             /* /dev/pts/N */
	uint32_t flags;             /* CRYO_TTY_* */
	int32_t  sid;               /* the session (its leader is in the file) it is the controlling terminal of, or 0 */
	int32_t  fg_pgid;           /* that session's foreground process group, or 0 */
	uint32_t rdev;              /* the slave's device number (CRYO_TTY_OUTSIDE: the outside terminal's) */
	uint8_t  termios2[44];      /* struct termios2 (TCGETS2) */
	uint32_t input_len;         /* bytes of the line being typed (canonical mode, not yet ended) that follow the record; 0 in older files */
	uint16_t winsize[4];        /* struct winsize (TIOCGWINSZ): rows, columns, x and y pixels */
	/* from here on absent in records of 80 bytes (older files: no output queued) */
	uint32_t output_len;        /* bytes the slave wrote that the master had not read, after the input */
	uint32_t reserved;          /* 0 */
	/* then input_len bytes: what the slave's line discipline holds of the unfinished line,
	 * then output_len bytes: what the master had to read, padded to 8 */
};
#define CRYO_TTY_V1_SIZE 80         /* a record without output_len */
#define CRYO_TTY_MAX_OUTPUT (1u << 20)
#define CRYO_TTY_MAX_INPUT 4096     /* the line discipline's buffer (N_TTY_BUF_SIZE) */
_Static_assert(sizeof(struct cryo_tty) == 88, "cryo_tty is on disk");

/* ---- Incremental checkpoints (chain.c, dirty.c) ----
 * A file with CRYO_FILE_INCREMENTAL in its header's flags holds, per
 * process, only the pages written since its parent file was taken; the
 * pages that stayed as they were are named in PARENT_PAGES and are the
 * parent's (itself maybe incremental: a chain).  A reader that does not
 * follow chains must refuse such a file. */
#define CRYO_FILE_INCREMENTAL 0x1u  /* header flags: pages come from the parent file too */
#define CRYO_FILE_KNOWN_FLAGS CRYO_FILE_INCREMENTAL
enum {
	CRYO_SEC_PARENT       = 41, /* once per incremental file: struct cryo_parent + the parent's path + its base name */
	CRYO_SEC_PARENT_PAGES = 42, /* one per process of an incremental file, after its PAGEMAP: struct cryo_parent_pages + runs */
	CRYO_SEC_TRACKER      = 43, /* one per process whose writes Cryo tracks: struct cryo_tracker + registered ranges */
};
#define CRYO_CHAIN_MAX_DEPTH 256    /* parents followed at most */

/* The parent, named by content: XXH3-128 of its header and section table
 * (the table holds every section's checksum, the page data's too, so the
 * hash covers the whole file). */
struct cryo_parent {
	uint32_t record_size;
	uint32_t depth;             /* 1: the parent is a full file; n: n files before a full one */
	uint64_t file_size;         /* the parent's */
	uint64_t hash_low, hash_high;
	/* strings: the parent's path as the checkpoint was given it (made absolute), its base name */
};
_Static_assert(sizeof(struct cryo_parent) == 32, "cryo_parent is on disk");

/* PARENT_PAGES: the pages of process pid the parent file's process pid
 * holds (present, unchanged since), runs by address, none overlapping a run
 * of PAGEMAP, each inside one mapping.  A page in neither is a page never
 * touched, or all zeros. */
struct cryo_parent_pages {
	uint32_t record_size;       /* 16 + 16 * nr_runs */
	int32_t  pid;               /* the process in the parent (the same PID as this one) */
	uint64_t nr_runs;
	/* then nr_runs struct cryo_parent_run */
};
struct cryo_parent_run {
	uint64_t vaddr;
	uint64_t nr_pages;
};
_Static_assert(sizeof(struct cryo_parent_pages) == 16 && sizeof(struct cryo_parent_run) == 16, "on disk");

/* TRACKER: the write tracker Cryo left armed in process pid when it took
 * this file (an asynchronous write-protect userfaultfd, descriptor fd, its
 * inode ino): the next incremental checkpoint with this file as its parent
 * reads the pages written since from it, within the ranges registered. */
struct cryo_tracker {
	uint32_t record_size;       /* 32 + 16 * nr_ranges */
	int32_t  pid;
	int32_t  fd;
	uint32_t pad;
	uint64_t ino;
	uint64_t nr_ranges;
	/* then nr_ranges struct cryo_parent_run (vaddr, nr_pages): the registered ranges */
};
_Static_assert(sizeof(struct cryo_tracker) == 32, "cryo_tracker is on disk");

#endif
