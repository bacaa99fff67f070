#include "sysv.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

int sysv_is_shm_mapping(const char *path)
{
	return !strncmp(path, "/SYSV", 5);
}

static int known(const struct tree *t, int shmid)
{
	for (int i = 0; i < t->nr_sysv_shm; i++)
		if (t->sysv_shm[i].r.shmid == shmid)
			return 1;
	return 0;
}

static int save_segment(struct tree *t, int shmid, struct cryo_error *e)
{
	struct shmid_ds ds;
	if (shmctl(shmid, IPC_STAT, &ds) < 0)
		return cryo_fail_errno(e, 0, "SysV shared memory", "shmctl(IPC_STAT)", "cannot look at segment %d", shmid);
	void *at = shmat(shmid, NULL, SHM_RDONLY);
	if (at == (void *)-1)
		return cryo_fail_errno(e, 0, "SysV shared memory", "shmat", "cannot read segment %d", shmid);
	/* SHM_DEST: marked for removal once the last process detaches, as it will be again */
	struct sysv_shm_rec m = { .r = { .shmid = shmid, .key = ds.shm_perm.__key, .mode = ds.shm_perm.mode & (0777 | SHM_DEST),
					 .size = ds.shm_segsz } };
	m.contents = malloc(m.r.size ? m.r.size : 1);
	struct sysv_shm_rec *grown = m.contents ? realloc(t->sysv_shm, (size_t)(t->nr_sysv_shm + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(m.contents);
		shmdt(at);
		return cryo_fail(e, 0, "SysV shared memory", "malloc", ENOMEM, "out of memory");
	}
	memcpy(m.contents, at, m.r.size);
	shmdt(at);
	t->sysv_shm = grown;
	t->sysv_shm[t->nr_sysv_shm++] = m;
	return 0;
}

int sysv_capture(struct tree *t, struct cryo_error *e)
{
	for (int k = 0; k < t->nr; k++)
		for (int i = 0; i < t->procs[k].nr_vmas; i++) {
			const struct cryo_vma *v = &t->procs[k].vmas[i].r;
			if (v->kind == CRYO_VMA_SYSV_SHM && !known(t, (int)v->file.ino) && save_segment(t, (int)v->file.ino, e))
				return -1;
		}
	return 0;
}

static int write_next_id(int id, struct cryo_error *e)
{
	int fd = open("/proc/sys/kernel/shm_next_id", O_WRONLY | O_CLOEXEC);
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", id);
	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return cryo_fail(e, 0, "SysV shared memory", "write(shm_next_id)", err,
				 "cannot ask for SysV segment id %d again (needs CAP_CHECKPOINT_RESTORE)", id);
	}
	close(fd);
	return 0;
}

int sysv_create(const struct tree *t, struct cryo_error *e)
{
	for (int i = 0; i < t->nr_sysv_shm; i++) {
		const struct sysv_shm_rec *m = &t->sysv_shm[i];
		if (write_next_id(m->r.shmid, e))
			return -1;
		int id = shmget(m->r.key, m->r.size, IPC_CREAT | IPC_EXCL | (int)(m->r.mode & 0777));
		int err = errno;
		write_next_id(-1, &(struct cryo_error){0});
		/* a keyed segment outlives its processes: the very same one is still there */
		if (id < 0 && err == EEXIST && m->r.key != IPC_PRIVATE && shmget(m->r.key, 0, 0) == m->r.shmid)
			id = m->r.shmid;
		if (id < 0)
			return cryo_fail(e, 0, "SysV shared memory", "shmget", err,
					 "cannot recreate SysV segment %d (key %#x): is it still there? (ipcs -m)", m->r.shmid, m->r.key);
		if (id != m->r.shmid) {
			shmctl(id, IPC_RMID, NULL);
			return cryo_fail(e, 0, "SysV shared memory", "shmget", EEXIST,
					 "SysV segment %d came back as %d", m->r.shmid, id);
		}
		void *at = shmat(id, NULL, 0);
		if (at == (void *)-1)
			return cryo_fail_errno(e, 0, "SysV shared memory", "shmat", "cannot fill segment %d", id);
		memcpy(at, m->contents, m->r.size);
		shmdt(at);
	}
	return 0;
}

void sysv_release(const struct tree *t)
{
	for (int i = 0; i < t->nr_sysv_shm; i++)
		if (t->sysv_shm[i].r.mode & SHM_DEST)
			shmctl(t->sysv_shm[i].r.shmid, IPC_RMID, NULL);
}

int sysv_attach(struct injector *in, const struct vma_rec *v, struct cryo_error *e)
{
	long r;
	if (v->r.pgoff)             /* the rest of an attachment split by mprotect: attached with its start */
		return 0;
	if (injector_syscall(in, SYS_shmat, (long)v->r.file.ino, (long)v->r.start,
			     v->r.prot & PROT_WRITE ? 0 : SHM_RDONLY, 0, 0, 0, &r, e))
		return -1;
	if (r < 0 && r > -4096)
		return cryo_fail(e, in->pid, "SysV shared memory", "shmat", (int)-r,
				 "cannot attach SysV segment %llu at %#lx again", (unsigned long long)v->r.file.ino,
				 (unsigned long)v->r.start);
	return 0;
}
