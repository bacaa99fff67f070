/* The in-memory picture of a checkpointed process, shared by capture and
 * restore, and its encoding into the metadata sections of a context file. */
#ifndef CRYO_SNAPSHOT_H
#define CRYO_SNAPSHOT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "cryo/format.h"
#include "image.h"

#define SIGINFO_BYTES 128

struct vma_rec {
	struct cryo_vma r;
	char *path;
	/* checkpoint only: a shared memory object the engine cannot open (no
	 * map_files without privilege, no descriptor of it): which of its pages
	 * are resident (mincore in the process), a byte a page; else NULL */
	unsigned char *resident;
};

struct fd_rec {
	struct cryo_fd r;
	char *path;
	char *detail;               /* event descriptors: struct cryo_fd_eventfd ... */
	uint32_t detail_len;
	struct cryo_fd_owner owner; /* fdowners.c; all 0: none (or an older file) */
};

struct thread_rec {
	struct cryo_thread r;
	uint8_t *xstate;
	siginfo_t *pending;
	char name[16];              /* its comm; "" if the file has none: the process's */
	uint32_t affinity_len;      /* bytes of affinity; 0 if the file has none: left as the restart's */
	uint64_t affinity[CRYO_AFFINITY_MAX / 8];
};

struct snapshot {
	struct cryo_info info;
	char *hostname, *kernel, *user;
	char *cmdline;
	uint32_t cmdline_len;

	struct cryo_process proc;
	int nr_groups;              /* supplementary groups; -1: not recorded (an older file) */
	uint32_t groups[CRYO_MAX_GROUPS];
	int has_attrs;              /* attrs recorded (0: an older file) */
	struct cryo_proc_attrs attrs;
	char *comm, *cwd, *exe;
	siginfo_t *shared_pending;

	struct thread_rec *threads;
	int nr_threads;
	struct vma_rec *vmas;
	int nr_vmas;
	struct fd_rec *fds;
	int nr_fds;
	struct cryo_page_run *runs;
	size_t nr_runs;
	const struct cryo_section_entry *pages;   /* reader side: where page data is */
	/* PAGE_RANGES, by kind, each by address (cow.c) */
	struct cryo_page_range *shared;           /* CRYO_RANGE_PARENTS */
	size_t nr_shared;
	struct cryo_page_range *guards;           /* CRYO_RANGE_GUARD */
	size_t nr_guards;
	struct cryo_posix_timer *timers;          /* timers.c */
	int nr_timers;
	char *seccomp;                            /* seccomp.c: the SECCOMP section's payload */
	size_t seccomp_len;
	struct dirty *dirty;                      /* checkpoint only: writes since the parent (dirty.c) */
	unsigned save_by_content;                 /* checkpoint only: CRYO_SAVE_* of the options */
};

struct pipe_rec {
	struct cryo_pipe r;
	char *data;
	char *fifo_path;            /* a named pipe's path, or "" */
};

struct socketpair_rec {
	struct cryo_socketpair r;
	char *queued[2];            /* messages, encoded as in format.h */
};

struct sysv_sem_rec {
	struct cryo_sysv_sem r;
	uint16_t *values;
};

struct sysv_msg_rec {
	struct cryo_sysv_msg r;
	char *messages;             /* encoded as format.h says */
};

struct shmem_file_rec {
	struct cryo_shmem_file r;
	char *contents;             /* the data of the extents, one after the other */
	uint64_t nr_extents;        /* with r.flags: pairs {offset, length} in extents */
	uint64_t *extents;
	uint64_t data_len;          /* bytes in contents */
	char *path;                 /* with r.flags: where the file was */
};

struct tcp_rec {
	struct cryo_tcp r;
	char *send, *recv;
};

struct pool_sockopts_rec {
	struct cryo_pool_sockopts r;
	char *opts;                 /* encoded as format.h says */
	size_t len;
};

struct sysv_shm_rec {
	struct cryo_sysv_shm r;
	char *contents;
};

/* A shared memory object (MAP_SHARED|MAP_ANONYMOUS, memfd, unlinked POSIX
 * shm), known by the device and inode its mappings named at checkpoint time. */
struct shmem_obj {
	uint64_t dev, ino;
	uint64_t size;              /* enough for every mapping of it */
};

/* A process tree: procs[0] is the root, parents come before their children. */
struct tree {
	struct snapshot *procs;
	int nr;
	struct pipe_rec *pipes;
	int nr_pipes;
	struct shmem_obj *shmem;    /* derived from the mappings by tree_read */
	int nr_shmem;
	struct socketpair_rec *socketpairs;
	int nr_socketpairs;
	struct sysv_shm_rec *sysv_shm;
	int nr_sysv_shm;
	struct tcp_rec *tcp;
	int nr_tcp;
	struct sysv_sem_rec *sysv_sem;
	int nr_sysv_sem;
	struct sysv_msg_rec *sysv_msg;
	int nr_sysv_msg;
	struct shmem_file_rec *shmem_files;
	int nr_shmem_files;
	struct pool_sockopts_rec *pool_sockopts;   /* inet.c: options of the pool's sockets */
	int nr_pool_sockopts;
	struct cryo_tty *ttys;      /* ttys.c */
	char **tty_input;           /* per record of ttys: its input_len bytes of an unfinished line, then its output_len bytes of output, or NULL */
	int nr_ttys;
	struct cryo_file_hash *file_hashes;   /* filehash.c */
	int nr_file_hashes;
};

void snapshot_free(struct snapshot *s);
void tree_free(struct tree *t);
/* The file's INFO section, from s. */
int snapshot_write_info(struct image_writer *w, const struct snapshot *s, struct cryo_error *e);
/* One process's PROCESS, THREAD, VMAS and FILES sections. */
int snapshot_write_process(struct image_writer *w, const struct snapshot *s, struct cryo_error *e);
int snapshot_write_pagemap(struct image_writer *w, const struct snapshot *s, struct cryo_error *e);
/* The tree-level sections, each kind's own encoding (resources.h calls them). */
int tree_write_pipes(struct image_writer *w, const struct tree *t, struct cryo_error *e);
int tree_write_socketpairs(struct image_writer *w, const struct tree *t, struct cryo_error *e);
int tree_write_sysv_shm(struct image_writer *w, const struct tree *t, struct cryo_error *e);
int tree_write_tcp(struct image_writer *w, const struct tree *t, struct cryo_error *e);
int tree_write_sysv_sem(struct image_writer *w, const struct tree *t, struct cryo_error *e);
int tree_write_sysv_msg(struct image_writer *w, const struct tree *t, struct cryo_error *e);
int tree_write_shmem_files(struct image_writer *w, const struct tree *t, struct cryo_error *e);
int tree_write_pool_sockopts(struct image_writer *w, const struct tree *t, struct cryo_error *e);
/* Its section if the file has one, every record's bounds checked, into t. */
int tree_read_pipes(struct image_reader *r, struct tree *t, struct cryo_error *e);
int tree_read_socketpairs(struct image_reader *r, struct tree *t, struct cryo_error *e);
int tree_read_sysv_shm(struct image_reader *r, struct tree *t, struct cryo_error *e);
int tree_read_tcp(struct image_reader *r, struct tree *t, struct cryo_error *e);
int tree_read_sysv_sem(struct image_reader *r, struct tree *t, struct cryo_error *e);
int tree_read_sysv_msg(struct image_reader *r, struct tree *t, struct cryo_error *e);
int tree_read_shmem_files(struct image_reader *r, struct tree *t, struct cryo_error *e);
int tree_read_pool_sockopts(struct image_reader *r, struct tree *t, struct cryo_error *e);
void tree_free_pipes(struct tree *t);
void tree_free_socketpairs(struct tree *t);
void tree_free_sysv_shm(struct tree *t);
void tree_free_tcp(struct tree *t);
void tree_free_pool_sockopts(struct tree *t);
void tree_free_sysv_sem(struct tree *t);
void tree_free_sysv_msg(struct tree *t);
void tree_free_shmem_files(struct tree *t);
/* The sections of a process's own (resources.h: struct process_section_ops). */
int snapshot_write_timers(struct image_writer *w, const struct snapshot *s, struct cryo_error *e);
int snapshot_read_timers(struct image_reader *r, struct snapshot *s, int k, struct cryo_error *e);
int snapshot_write_seccomp(struct image_writer *w, const struct snapshot *s, struct cryo_error *e);
int snapshot_read_seccomp(struct image_reader *r, struct snapshot *s, int k, struct cryo_error *e);
int tree_write_ttys(struct image_writer *w, const struct tree *t, struct cryo_error *e);
int tree_read_ttys(struct image_reader *r, struct tree *t, struct cryo_error *e);
void tree_free_ttys(struct tree *t);
/* Parse every section, checking every record's bounds, that the page runs
 * lie inside mappings and inside the page data, and that the tree holds
 * together (parents first, pipes known). */
int tree_read(struct image_reader *r, struct tree *t, struct cryo_error *e);
/* Is s a root of t (its parent is not in t)? */
int tree_is_root(const struct tree *t, const struct snapshot *s);
/* The process of t whose checkpointed PID is pid, or NULL. */
struct snapshot *tree_find(const struct tree *t, pid_t pid);

/* helper for capture: a copy of str that snapshot_free frees */
char *snap_strdup(const char *str);

#endif
