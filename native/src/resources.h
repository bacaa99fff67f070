/*
 * The kinds of resource a tree holds beside its processes' own state, each
 * one section of the context file (format.h): pipes, socket pairs, TCP
 * sockets, SysV objects, shared memory and files saved by content.  One
 * struct resource_ops each, defined in the kind's own file and registered
 * in the one table in resources.c, whose order is the order of capture,
 * of the sections in the file, of reading, and of the descriptor pool.
 * docs/ENGINE.md says how to add a kind.
 */
#ifndef CRYO_RESOURCES_H
#define CRYO_RESOURCES_H

#include "image.h"
#include "memory.h"
#include "snapshot.h"

struct resource_ops {
	uint32_t section;           /* CRYO_SEC_* */
	const char *name;
	/* Checkpoint, once every process is captured and files_link_tree has
	 * paired the descriptors: what the tree holds of this kind that no
	 * descriptor brought (SysV objects).  NULL: nothing. */
	int (*capture)(struct tree *t, struct cryo_error *e);
	/* Its section (written even if empty). */
	int (*write)(struct image_writer *w, const struct tree *t, struct cryo_error *e);
	/* Its section, if the file has one, every record checked, into t. */
	int (*read)(struct image_reader *r, struct tree *t, struct cryo_error *e);
	void (*free)(struct tree *t);
	/* Restore: how many descriptors of the pool (pipes.h) it takes ... */
	int (*pool_slots)(const struct tree *t);
	/* ... made by the restorer at first, first + 1, ... before any process
	 * (above: free numbers to move things through). */
	int (*create_in_pool)(const struct tree *t, int first, int above, relocate_fn relocate, struct cryo_error *e);
	/* In the restorer, as the job's user, after the pool: objects that
	 * live outside any process (SysV ids).  NULL: nothing. */
	int (*create)(const struct tree *t, struct cryo_error *e);
	/* Checkpoint with --kill, once the file is written, just before the
	 * processes are killed: what the kind must do so that their death
	 * harms nothing outside (TCP: no FIN, no RST).  NULL: nothing. */
	void (*before_kill)(const struct tree *t);
};

/* A section of one process's own that no descriptor or tree-level
 * resource brings (POSIX timers, seccomp filters): one per process, after
 * its pages, in process order.  Encoded and decoded in snapshot.c, the one
 * owner of the format; the kind's file captures, checks and restores. */
struct process_section_ops {
	uint32_t section;           /* CRYO_SEC_* */
	const char *name;
	int (*write)(struct image_writer *w, const struct snapshot *s, struct cryo_error *e);
	/* Process k's section, if the file has one, every record checked, into s. */
	int (*read)(struct image_reader *r, struct snapshot *s, int k, struct cryo_error *e);
};
int process_sections_write(struct image_writer *w, const struct snapshot *s, struct cryo_error *e);
int process_sections_read(struct image_reader *r, struct snapshot *s, int k, struct cryo_error *e);
extern const struct process_section_ops posix_timers_section, seccomp_section;

int resources_capture(struct tree *t, struct cryo_error *e);
int resources_write(struct image_writer *w, const struct tree *t, struct cryo_error *e);
int resources_read(struct image_reader *r, struct tree *t, struct cryo_error *e);
void resources_free(struct tree *t);
int resources_create(const struct tree *t, struct cryo_error *e);
void resources_before_kill(const struct tree *t);

/* The pool: one allocator.  Each kind's slots follow the earlier kinds'. */
int pool_size(const struct tree *t);
/* The first pool descriptor of kind ops, the pool starting at pool_base. */
int pool_first(const struct tree *t, int pool_base, const struct resource_ops *ops);
/* In the restorer: every kind's part of the pool. */
int resources_create_pool(const struct tree *t, int pool_base, relocate_fn relocate, struct cryo_error *e);

/* The kinds' ops, each in its own file. */
extern const struct resource_ops pipes_resource, socketpairs_resource, sysv_shm_resource, tcp_resource,
	sysv_sem_resource, sysv_msg_resource, shmem_files_resource, sockopts_resource;
extern const struct resource_ops ttys_resource;

#endif
