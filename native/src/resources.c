/* The table of tree-level resource kinds (resources.h). */
#include "resources.h"
#include "filehash.h"

/* Capture: SysV shared memory, then semaphores, then queues, as before;
 * the file's sections and the pool in this order too. */
static const struct resource_ops *const resource_kinds[] = {
	&pipes_resource,
	&socketpairs_resource,
	&sysv_shm_resource,
	&tcp_resource,
	&sysv_sem_resource,
	&sysv_msg_resource,
	&shmem_files_resource,
	&sockopts_resource,
	&ttys_resource,
	&file_hashes_resource,
};

#define NR_KINDS (sizeof(resource_kinds) / sizeof(resource_kinds[0]))

int resources_capture(struct tree *t, struct cryo_error *e)
{
	for (size_t i = 0; i < NR_KINDS; i++)
		if (resource_kinds[i]->capture && resource_kinds[i]->capture(t, e))
			return -1;
	return 0;
}

int resources_write(struct image_writer *w, const struct tree *t, struct cryo_error *e)
{
	for (size_t i = 0; i < NR_KINDS; i++)
		if (resource_kinds[i]->write(w, t, e))
			return -1;
	return 0;
}

int resources_read(struct image_reader *r, struct tree *t, struct cryo_error *e)
{
	for (size_t i = 0; i < NR_KINDS; i++)
		if (resource_kinds[i]->read(r, t, e))
			return -1;
	return 0;
}

void resources_free(struct tree *t)
{
	for (size_t i = 0; i < NR_KINDS; i++)
		resource_kinds[i]->free(t);
}

int resources_create(const struct tree *t, struct cryo_error *e)
{
	for (size_t i = 0; i < NR_KINDS; i++)
		if (resource_kinds[i]->create && resource_kinds[i]->create(t, e))
			return -1;
	return 0;
}

void resources_before_kill(const struct tree *t)
{
	for (size_t i = 0; i < NR_KINDS; i++)
		if (resource_kinds[i]->before_kill)
			resource_kinds[i]->before_kill(t);
}

/* The sections of a process's own, in this order after its pages. */
static const struct process_section_ops *const process_sections[] = {
	&posix_timers_section,
	&seccomp_section,
};

#define NR_SECTIONS (sizeof(process_sections) / sizeof(process_sections[0]))

int process_sections_write(struct image_writer *w, const struct snapshot *s, struct cryo_error *e)
{
	for (size_t i = 0; i < NR_SECTIONS; i++)
		if (process_sections[i]->write(w, s, e))
			return -1;
	return 0;
}

int process_sections_read(struct image_reader *r, struct snapshot *s, int k, struct cryo_error *e)
{
	for (size_t i = 0; i < NR_SECTIONS; i++)
		if (process_sections[i]->read(r, s, k, e))
			return -1;
	return 0;
}

static int slots_of(const struct tree *t, const struct resource_ops *ops)
{
	return ops->pool_slots ? ops->pool_slots(t) : 0;
}

int pool_size(const struct tree *t)
{
	int n = 0;
	for (size_t i = 0; i < NR_KINDS; i++)
		n += slots_of(t, resource_kinds[i]);
	return n;
}

int pool_first(const struct tree *t, int pool_base, const struct resource_ops *ops)
{
	int at = pool_base;
	for (size_t i = 0; i < NR_KINDS && resource_kinds[i] != ops; i++)
		at += slots_of(t, resource_kinds[i]);
	return at;
}

int resources_create_pool(const struct tree *t, int pool_base, relocate_fn relocate, struct cryo_error *e)
{
	int above = pool_base + pool_size(t) + 64;
	for (size_t i = 0; i < NR_KINDS; i++) {
		const struct resource_ops *ops = resource_kinds[i];
		if (ops->create_in_pool && ops->create_in_pool(t, pool_first(t, pool_base, ops), above, relocate, e))
			return -1;
	}
	return 0;
}
