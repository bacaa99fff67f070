/*
 * The engine's public contract: what the JNI bridge and the helper
 * executable call.  Every function returns 0 on success or -1 with *err
 * filled in; nothing here exits or aborts.
 */
#ifndef CRYO_H
#define CRYO_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define CRYO_VERSION        100     /* 0.1.0 */
#define CRYO_VERSION_STRING "0.1.0"

/* Exit status of `cryo-engine restore` when the restore itself failed
 * (otherwise it exits with the restored process's own status). */
#define CRYO_RESTORE_FAILED 125

struct cryo_error {
	int  err;                   /* errno of the failing call, or 0 */
	int  pid;                   /* the process concerned, or 0 */
	char resource[64];          /* "memory", "fd 3", "registers", "context file" ... */
	char syscall[32];           /* the failing syscall or operation, or "" */
	char msg[1024];             /* one line, with all of the above in words */
};

enum cryo_end_action {
	CRYO_END_RUNNING = 0,       /* default: the process carries on */
	CRYO_END_STOP    = 1,       /* SIGSTOP */
	CRYO_END_TERM    = 2,       /* SIGTERM */
	CRYO_END_KILL    = 3,       /* SIGKILL */
	CRYO_END_SIGNAL  = 4,       /* end_signal */
	CRYO_END_HOLD    = 5,       /* held frozen, the file committed, until hold() says: 0 let it
				     * run on as before, or the signal to end it with (SIGKILL) */
};

/* What the commit does to a file already under the final name (BLCR's
 * --atomic, --noclobber and --backup; the new file is written nameless
 * either way, so a failed checkpoint leaves the old one as it was). */
enum cryo_replace {
	CRYO_REPLACE_ATOMIC = 0,    /* default: the old file is replaced in one step (rename) */
	CRYO_REPLACE_NEVER  = 1,    /* refuse if the name is taken, at the start and at the commit */
	CRYO_REPLACE_BACKUP = 2,    /* the old file keeps a second name (backup, or NAME.~N~), then is replaced */
};

enum cryo_scope {
	CRYO_SCOPE_TREE    = 0,     /* default, as in BLCR: pid and all its descendants */
	CRYO_SCOPE_PROCESS = 1,     /* pid alone */
	CRYO_SCOPE_PGID    = 2,     /* every process of process group pid */
	CRYO_SCOPE_SID     = 3,     /* every process of session pid */
};

/* --pre-copy's rounds unless told: a few more than a steady writer needs to
 * converge, left for a burst of writes after the last one (precopy.c) */
#define CRYO_PRE_COPY_ROUNDS 6

struct cryo_checkpoint_opts {
	pid_t       pid;
	int         scope;          /* enum cryo_scope */
	const char *path;           /* final name of the context file */
	int         end_action;     /* enum cryo_end_action */
	int         end_signal;     /* for CRYO_END_SIGNAL */
	/* for CRYO_END_HOLD: called once the context file is committed, every process still
	 * frozen (a signal such as SIGCONT cannot wake a traced process); returns 0 or a signal */
	int       (*hold)(void *arg);
	void       *hold_arg;
	int         replace;        /* enum cryo_replace */
	const char *backup;         /* CRYO_REPLACE_BACKUP: the old file's new name in the same directory,
				     * or NULL for the first free NAME.~N~ */
	int         compress;       /* 1: page data as zstd blocks, each stored raw where it does not shrink */
	int         compress_level; /* zstd's level for them (cryo_parse_compress) */
	int         incremental;    /* track writes for the next checkpoint; with parent, save only the
				     * pages written since parent was taken (docs/FORMAT.md, chains) */
	const char *parent;         /* incremental: the parent context file, or NULL (a full file) */
	int         pre_copy_rounds;/* > 0: copy memory up to that many times while the processes run, then
				     * freeze for what they wrote meanwhile (pre-copy, precopy.c) */
	int         live_pages;     /* pre-copy's rounds: the processes run on once their state is read and
				     * the tracker armed; their pages are read as they run */
	int         no_fsync;       /* pre-copy's step files: the merged file is the one made durable */
	int         rearm_tracker;  /* pre-copy's steps after the first: the parent's write tracker is kept
				     * and protects again (dirty.h), no fresh one armed */
	uint64_t    written_limit;  /* pre-copy's last step: > 0, and the parent's tracker shows more bytes
				     * written than this just before the freeze: nothing is frozen or
				     * written, cryo_checkpoint returns 1 (a round first, while they run) */
	unsigned    save_by_content; /* CRYO_SAVE_*: mapped files saved by content (BLCR's --save-*) */
	int         timing;         /* 1: each phase's time on stderr (cr_checkpoint -v; also CRYO_TIMING=1) */
};

/* BLCR's cr_restart --omit-*: is the cr_restart that restarted a job part
 * of a checkpoint that reaches it?  NEVER: yes, as any process; ALWAYS: no,
 * its children are the checkpoint's roots; MAYBE (BLCR's default): no when
 * it is the checkpoint's target or an orphan, else yes. */
enum cryo_omit_mode { CRYO_OMIT_MAYBE = 1, CRYO_OMIT_ALWAYS = 2, CRYO_OMIT_NEVER = 3 };
#define CRYO_OMIT_MARK "cryo-omit-"
/* Marks the calling process (a cr_restart whose job runs) with mode: a
 * close-on-exec memfd named CRYO_OMIT_MARK "maybe" (...), which
 * cryo_checkpoint looks for in processes named cr_restart.  Returns its
 * descriptor, or -1 with errno. */
int cryo_mark_omit(int mode);

/* Mapped files saved by content rather than by reference (BLCR's --save-*):
 * a private mapping comes back as private anonymous memory holding every
 * page it had; a shared one maps a fresh unlinked copy of the file made in
 * the file's directory (the original file is never written by the restart). */
enum cryo_save_by_content {
	CRYO_SAVE_PRIVATE = 0x1,    /* files mapped private (libraries, data files), the executable excepted */
	CRYO_SAVE_SHARED  = 0x2,    /* files mapped shared */
	CRYO_SAVE_EXE     = 0x4,    /* the executable's mappings: the restart needs no executable file */
	CRYO_SAVE_ALL     = 0x7,
};

/* --compress's value: NULL or "" or "zstd" (zstd at its default level for
 * Cryo), "zstd:LEVEL" (-100 to 19; negative is faster), or "none".  Fills the
 * two fields of opts; -1 (and a one-line reason in err) for anything else. */
int cryo_parse_compress(const char *value, struct cryo_checkpoint_opts *opts, struct cryo_error *err);

struct cryo_checkpoint_stats {
	uint64_t freeze_ns;         /* how long the process was stopped */
	uint64_t total_ns;
	uint64_t page_bytes;        /* bytes of page data written */
	uint64_t file_size;
	uint64_t parent_bytes;      /* incremental: bytes of pages left to the parent */
	int      tracked;           /* processes whose writes the tracker told (the others: by hash, or saved whole) */
	int      hashed;            /* processes compared by hash with the parent */
	int      pre_copy_rounds;   /* pre-copy rounds done (freeze_ns: every stop, theirs and the last) */
	uint64_t last_freeze_ns;    /* pre-copy: the last stop alone */
};

/* Can the caller checkpoint pid?  (exists, owned by the caller or caller is
 * root, not set-id, dumpable).  Touches nothing. */
int cryo_check_target(pid_t pid, struct cryo_error *err);

/* Checkpoint pid (and, by default, its descendants) to opts->path (an
 * existing directory: DIR/context.PID; a device, FIFO, socket or symbolic
 * link is refused).  The file is written nameless (O_TMPFILE; else as
 * .NAME.cryo-tmp-XXXXXX, locked), fsynced and linked or renamed to its name,
 * mode 0600.  On any failure every process is left running as it was and
 * nothing is left in the directory. */
int cryo_checkpoint(const struct cryo_checkpoint_opts *opts,
		    struct cryo_checkpoint_stats *stats, struct cryo_error *err);

/* Async-signal-safe: asks a cryo_checkpoint running in this process to
 * stop.  It stops at its next step (never inside an injected syscall),
 * leaves every process as it was and no file, and fails with "interrupted by
 * signal sig".  Ignored once the file is under its final name (the commit
 * point): the checkpoint then completes, end action included. */
void cryo_request_interrupt(int sig);

/* Validate a whole context file: header, table, every section's bounds and
 * checksum, every record's size.  Reads the page data too. */
int cryo_verify_file(const char *path, struct cryo_error *err);

struct cryo_relocation { const char *from, *to; };

struct cryo_restore_opts {
	const char *path;
	int restore_pid;            /* 1: the original PID (clone3 set_tid), 0: a new one */
	int nr_relocations;
	const struct cryo_relocation *relocations;
	int verbose;                /* say on stderr how PIDs and credentials come back */
	int as_caller;              /* root: keep the caller's credentials, not the recorded user's */
	int restore_sid;            /* 1: a root that led its session leads it again (setsid); 0: the caller's */
	int restore_pgid;           /* 1: a root that led its process group leads it again; 0: the caller's */
	int after_signal;           /* 0, or a signal queued to every restored process as it is let go
				     * (BLCR's cr_restart --stop, --term, --kill, --signal N ...) */
	int lazy;                   /* 1: private anonymous pages served on first touch, the rest prefetched
				     * by a thread of the caller's, which must outlive the restore (lazy.h) */
};

enum cryo_pids {
	CRYO_PIDS_RESTORED     = 0, /* the original PIDs */
	CRYO_PIDS_IN_NAMESPACE = 1, /* the original PIDs, in a user and PID namespace of the job's own */
	CRYO_PIDS_NEW          = 2, /* new PIDs */
};

struct cryo_restored {
	pid_t root;                 /* the first root, as the caller sees it */
	pid_t parent;               /* the caller's child to wait for: root, or Cryo's init of the job's namespace */
	int status_fd;              /* with an init: the first root's wait status (an int) arrives here; else -1 */
	int pids;                   /* enum cryo_pids */
};

/* Restore the context file as children of the caller, which must stay their
 * parent: one per root of the checkpoint (a process group or session can
 * have several), or Cryo's init of a namespace they run in (out->parent).
 * On success they run.  On failure nothing is left behind. */
int cryo_restore(const struct cryo_restore_opts *opts, struct cryo_restored *out,
		 struct cryo_error *err);

/* Async-signal-safe: ask a cryo_restore in progress to stop (it kills and
 * reaps what it started and fails with "interrupted by signal SIG").  Once
 * the tree runs, cryo_restore_take_interrupt returns (and forgets) a signal
 * that came too late to stop it, for the caller to pass on; 0 if none. */
#define CRYO_INTERRUPT_PARENT_DIED (-1)   /* sig: the caller's parent died */
void cryo_restore_interrupt(int sig);
int cryo_restore_take_interrupt(void);

/* cr_run --pid-ns: start argv in a new PID namespace, under an init of
 * Cryo's that passes signals on and ends with the command's status.
 * *init_pid (the namespace's PID 1, as the caller sees it) is a child of the
 * caller, and is what to checkpoint. */
int cryo_run_in_pid_namespace(char **argv, pid_t *init_pid, struct cryo_error *err);

/* `cryo info`: verify the context file as a restore does (every checksum,
 * record and link of the tree), then write what it holds to out as JSON:
 * the file, every process (ids, threads, mappings, descriptors with their
 * kind's detail) and the tree's resources.  Output is ASCII, every string
 * escaped.  Nothing is written for a file that fails verification. */
int cryo_describe(const char *path, FILE *out, struct cryo_error *err);

/* `cryo ls`: the same description, checking everything but the page data
 * (whose checksums take a read of the whole file), and refusing a symbolic
 * link at path (ELOOP) rather than following it. */
int cryo_describe_summary(const char *path, FILE *out, struct cryo_error *err);

#endif
