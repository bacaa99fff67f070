/* The address space: which mappings a process has, which of their pages
 * must be saved, and how to rebuild them in a process under restore. */
#ifndef CRYO_MEMORY_H
#define CRYO_MEMORY_H

#include <sys/types.h>
#include "inject.h"
#include "snapshot.h"

struct smaps_look;

/* Record every mapping of pid (from /proc/PID/smaps) in s->vmas.
 * smaps_before: pid's smaps read before it was frozen, or NULL; used where
 * /proc/PID/maps, frozen, shows the same mappings (smaps costs the kernel a
 * walk of every page).  A mapping's flags changed meanwhile by madvise do
 * not show in maps: a pre-copy round misses them (the last, frozen step
 * reads them again); any other checkpoint takes them from a frozen look
 * (memory_smaps_look_*). */
int memory_capture_mappings(pid_t pid, struct snapshot *s, const char *smaps_before, struct cryo_error *e);
/* A frozen look at pid's smaps, read by a thread of its own while the
 * capture of s goes on; NULL if no thread could be started (then nothing is
 * owed: s->vmas comes from a frozen read, or the caller reads again). */
struct smaps_look *memory_smaps_look_start(pid_t pid, struct snapshot *s);
/* Waits for the look, and sets the flags of s's mappings that madvise or
 * mlock change in place from it.  Refuses a mapping that it shows replaced
 * (EAGAIN: between the read of smaps_before and the freeze).  Frees l. */
int memory_smaps_look_finish(struct smaps_look *l, struct cryo_error *e);
/* Waits for the look and frees it (a capture that failed meanwhile). */
void memory_smaps_look_cancel(struct smaps_look *l);
/* A shared memory object mapped by pid that the engine cannot open (a
 * user's checkpoint: /proc/PID/map_files needs privilege) and that no
 * descriptor of pid holds: which of its pages are resident, by mincore
 * injected through in (scratch: a page of the process's own, scratch_len
 * bytes), into the mapping's resident[].  Refuses such a mapping with pages
 * in swap (mincore does not see them). */
int memory_capture_residency(struct injector *in, uint64_t scratch, size_t scratch_len, struct snapshot *s,
			     struct cryo_error *e);
/* Whether some mapping of s needs memory_capture_residency. */
int memory_needs_residency(pid_t pid, const struct snapshot *s);
/* Write the PAGES section: anonymous and written private pages, skipping
 * pages never touched and anonymous pages that are all zero; fills s->runs. */
int memory_capture_pages(pid_t pid, struct snapshot *s, struct image_writer *w,
			 uint64_t *page_bytes, struct cryo_error *e);
/* XXH3 of the running kernel's vdso text, to compare with an image's. */
uint64_t memory_own_vdso_checksum(uint64_t *size);

/* Maps a path of the image to where it is now (--relocate). */
typedef const char *(*relocate_fn)(const char *path, char *buf, size_t size);

/* Replace the address space of the stopped process behind in with the
 * image's mappings and pages (read from r, checksum verified), then set its
 * mm fields.  in->syscall_ip moves along with the vdso.  Leaves a scratch
 * page mapped at *scratch, outside every mapping of the image, for the
 * injections still to come; memory_unmap_scratch removes it. */
struct lazy;
/* lazy (lazy.h) non-NULL: the process's private anonymous pages are served
 * on touch instead, where its file allows. */
int memory_restore(struct injector *in, const struct tree *t, const struct snapshot *s, struct image_reader *r,
		   relocate_fn relocate, struct lazy *lazy, uint64_t *scratch, struct cryo_error *e);
int memory_unmap_scratch(struct injector *in, uint64_t scratch, struct cryo_error *e);
/* The last step of a process's restore: the scratch page goes, and the vdso
 * too if the image has none (the process had unmapped it). */
int memory_finish(struct injector *in, const struct snapshot *s, uint64_t scratch, struct cryo_error *e);

/* Has a signal asked the restore to stop (cryo_restore_interrupt)?  Then
 * -1 with the error saying so; restore.c. */
int restore_check_interrupted(struct cryo_error *e);

/* The first of the nr page runs (in address order, their data in the same
 * order) that ends past at: an address, or with by_data an offset of data. */
size_t memory_run_past(const struct cryo_page_run *runs, size_t nr, uint64_t at, int by_data);

/* Copy bytes into / out of the target (the scratch page). */
int memory_poke(pid_t pid, uint64_t addr, const void *data, size_t len, struct cryo_error *e);
int memory_peek(pid_t pid, uint64_t addr, void *data, size_t len, struct cryo_error *e);

#endif
