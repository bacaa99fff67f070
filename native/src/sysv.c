#include "sysv.h"
#include "resources.h"
#include <linux/kcmp.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
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

static int write_next_id_of(const char *what, int id, struct cryo_error *e)
{
	char file[64];
	snprintf(file, sizeof(file), "/proc/sys/kernel/%s_next_id", what);
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", id);
	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return cryo_fail(e, 0, "SysV IPC", "write(next_id)", err,
				 "cannot ask for SysV %s id %d again (needs CAP_CHECKPOINT_RESTORE)", what, id);
	}
	close(fd);
	return 0;
}

static int write_next_id(int id, struct cryo_error *e)
{
	return write_next_id_of("shm", id, e);
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

/* ---- semaphore sets and message queues ---- */

static int in_tree(const struct tree *t, pid_t pid)
{
	return pid > 0 && tree_find(t, pid) != NULL;
}

/* /proc/sysvipc/FILE, each line after the header, to each(line). */
static int each_line(const char *file, int (*each)(struct tree *, const char *, struct cryo_error *),
		     struct tree *t, struct cryo_error *e)
{
	char path[64], line[1024];
	snprintf(path, sizeof(path), "/proc/sysvipc/%s", file);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;                   /* no System V IPC in this kernel */
	int rc = 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	while (!rc && fgets(line, sizeof(line), f))
		rc = each(t, line, e);
	fclose(f);
	return rc;
}

static int save_semaphores(struct tree *t, const char *line, struct cryo_error *e)
{
	int key, semid;
	unsigned mode, nsems;
	if (sscanf(line, "%d %d %o %u", &key, &semid, &mode, &nsems) != 4 || nsems == 0 || nsems > 65536)
		return 0;
	int used = 0;
	for (unsigned i = 0; i < nsems && !used; i++)
		used = in_tree(t, semctl(semid, (int)i, GETPID));
	if (!used)
		return 0;
	struct sysv_sem_rec m = { .r = { .semid = semid, .key = key, .mode = mode & 0777, .nsems = nsems } };
	struct sysv_sem_rec *grown = realloc(t->sysv_sem, (size_t)(t->nr_sysv_sem + 1) * sizeof(*grown));
	if (grown)
		t->sysv_sem = grown;
	m.values = grown ? malloc(nsems * sizeof(uint16_t)) : NULL;
	if (!m.values)
		return cryo_fail(e, 0, "SysV semaphores", "malloc", ENOMEM, "out of memory");
	if (semctl(semid, 0, GETALL, m.values) < 0) {
		free(m.values);
		return cryo_fail_errno(e, 0, "SysV semaphores", "semctl(GETALL)", "cannot read semaphore set %d", semid);
	}
	t->sysv_sem[t->nr_sysv_sem++] = m;
	return 0;
}

struct sysv_message {
	long mtype;
	char mtext[65536];
};

static int save_queue(struct tree *t, const char *line, struct cryo_error *e)
{
	int key, msqid, lspid, lrpid;
	unsigned mode;
	unsigned long cbytes, qnum;
	if (sscanf(line, "%d %d %o %lu %lu %d %d", &key, &msqid, &mode, &cbytes, &qnum, &lspid, &lrpid) != 7 ||
	    (!in_tree(t, lspid) && !in_tree(t, lrpid)))
		return 0;
	struct sysv_msg_rec m = { .r = { .msqid = msqid, .key = key, .mode = mode & 0777 } };
	static struct sysv_message msg;
	size_t cap = 0;
	/* MSG_COPY: the i-th message, left in the queue */
	for (unsigned long i = 0; i < qnum; i++) {
		ssize_t n = msgrcv(msqid, &msg, sizeof(msg.mtext), (long)i, IPC_NOWAIT | MSG_COPY | MSG_NOERROR);
		if (n < 0) {
			free(m.messages);
			return cryo_fail_errno(e, 0, "SysV message queues", "msgrcv(MSG_COPY)", "cannot read message %lu of queue %d", i, msqid);
		}
		size_t need = 16 + (((size_t)n + 7) & ~(size_t)7);
		if (m.r.bytes + need > cap) {
			cap = (m.r.bytes + need) * 2;
			char *grown = realloc(m.messages, cap);
			if (!grown) {
				free(m.messages);
				return cryo_fail(e, 0, "SysV message queues", "malloc", ENOMEM, "out of memory");
			}
			m.messages = grown;
		}
		char *at = m.messages + m.r.bytes;
		int64_t type = msg.mtype;
		uint32_t len = (uint32_t)n, pad = 0;
		memset(at, 0, need);
		memcpy(at, &type, 8);
		memcpy(at + 8, &len, 4);
		memcpy(at + 12, &pad, 4);
		memcpy(at + 16, msg.mtext, (size_t)n);
		m.r.bytes += need;
		m.r.nr_messages++;
	}
	struct sysv_msg_rec *grown = realloc(t->sysv_msg, (size_t)(t->nr_sysv_msg + 1) * sizeof(*grown));
	if (!grown) {
		free(m.messages);
		return cryo_fail(e, 0, "SysV message queues", "malloc", ENOMEM, "out of memory");
	}
	t->sysv_msg = grown;
	t->sysv_msg[t->nr_sysv_msg++] = m;
	return 0;
}

/* A process of no undo list, for kcmp to compare with: a child sharing our
 * memory (nothing copied, even from a JVM) that only waits to be killed. */
static int reference_child(void *unused)
{
	for (;;)
		syscall(SYS_pause);
	return 0;
}

static int has_undo_list(pid_t pid, pid_t reference)
{
	return syscall(SYS_kcmp, pid, reference, KCMP_SYSVSEM, 0, 0) > 0;
}

/* When process pid started, in seconds since the epoch (rounded down), or -1. */
static long long start_time_of(pid_t pid)
{
	char path[64], buf[1024], line[256];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	char *at = strrchr(buf, ')');
	unsigned long long ticks = 0;
	/* after the comm: state is field 3, starttime field 22 */
	if (!at || sscanf(at + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &ticks) != 1)
		return -1;
	long long boot = -1;
	FILE *st = fopen("/proc/stat", "re");
	while (st && boot < 0 && fgets(line, sizeof(line), st))
		if (sscanf(line, "btime %lld", &boot) != 1)
			boot = -1;
	if (st)
		fclose(st);
	long hz = sysconf(_SC_CLK_TCK);
	return boot < 0 || hz <= 0 ? -1 : boot + (long long)(ticks / (unsigned long long)hz);
}

/* Whether process s could have made an undo adjustment on the set of this
 * /proc/sysvipc/sem line: the set was operated on (otime) since the process
 * started, and the process may alter it (owner, creator, root, or group or
 * other write permission: supplementary groups are not looked at, so
 * group write counts for anyone). */
static int may_have_adjusted(const struct snapshot *s, long long started, const char *line)
{
	int key, semid;
	unsigned mode, nsems, uid, gid, cuid, cgid;
	long long otime, ctime;
	if (sscanf(line, "%d %d %o %u %u %u %u %u %lld %lld", &key, &semid, &mode, &nsems, &uid, &gid, &cuid, &cgid,
		   &otime, &ctime) != 10 || otime == 0)
		return 0;
	uint32_t euid = s->proc.uid[1];
	int may_alter = euid == 0 || uid == euid || cuid == euid || (mode & 0022);
	return may_alter && (started < 0 || otime + 2 >= started);
}

/* A process with an undo list that might hold adjustments: some semaphore
 * set it may alter was operated on since it started. */
static int refuse_possible_undo(const struct snapshot *s, struct cryo_error *e)
{
	char line[1024];
	FILE *f = fopen("/proc/sysvipc/sem", "re");
	if (!f)
		return 0;                   /* no System V IPC in this kernel */
	long long started = start_time_of(s->proc.pid);
	int suspect = 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	while (!suspect && fgets(line, sizeof(line), f))
		suspect = may_have_adjusted(s, started, line);
	fclose(f);
	return suspect ? cryo_fail(e, s->proc.pid, "System V semaphores", "", ENOTSUP,
				   "process %d may hold System V semaphore undo adjustments (SEM_UNDO), which cannot be seen "
				   "and a restart would lose: not supported", s->proc.pid) : 0;
}

/*
 * Semaphore undo adjustments (SEM_UNDO) are not kept, and no interface shows
 * them: what kcmp can tell is whether a process has an undo list at all.
 A
 * single-threaded process has one only if it used SEM_UNDO (or was made with
 * CLONE_SYSVSEM), but every process that ever created a thread has one
 * (pthread_create shares it with CLONE_SYSVSEM), even an empty one.  So a
 * process with a list is refused when the list may hold adjustments: a
 * semaphore set it may alter was operated on since it started.  That is a
 * superset of the processes that hold adjustments (making one is an
 * operation); a threaded process whose sets were all last used before it
 * started, or that may alter none, is not refused.
 */
static int refuse_semaphore_undo(const struct tree *t, struct cryo_error *e)
{
	enum { STACK = 16384 };
	char *stack = NULL;
	pid_t reference = 0;
	int rc = 0;
	for (int k = 0; k < t->nr && !rc; k++) {
		const struct snapshot *s = &t->procs[k];
		if (s->proc.state == CRYO_PROCESS_ZOMBIE)
			continue;
		if (!reference && (!(stack = aligned_alloc(64, STACK)) ||
				   (reference = clone(reference_child, stack + STACK, CLONE_VM | SIGCHLD, NULL)) < 0)) {
			free(stack);
			return cryo_fail_errno(e, s->proc.pid, "System V semaphores", "clone", "cannot look for semaphore undo lists");
		}
		if (!has_undo_list(s->proc.pid, reference))
			continue;
		rc = refuse_possible_undo(s, e);
	}
	if (reference > 0) {
		kill(reference, SIGKILL);
		waitpid(reference, NULL, 0);
	}
	free(stack);
	return rc;
}

int sysv_capture_sem(struct tree *t, struct cryo_error *e)
{
	return refuse_semaphore_undo(t, e) || each_line("sem", save_semaphores, t, e) ? -1 : 0;
}

int sysv_capture_msg(struct tree *t, struct cryo_error *e)
{
	return each_line("msg", save_queue, t, e);
}

/* The object with id, of the key it had: made again with that id, or, still
 * there (semaphore sets and queues outlive their processes), the very same
 * one.  get is semget/msgget; key_of(id) the key of the live object id, or
 * -1 if there is none. */
static int recreate(const char *what, int id, int key, int (*get)(int key, int flags, int arg), int arg, unsigned mode,
		    int (*key_of)(int id), struct cryo_error *e)
{
	if (key_of(id) == key)
		return 0;
	if (write_next_id_of(what, id, e))
		return -1;
	int got = get(key, IPC_CREAT | IPC_EXCL | (int)mode, arg);
	int err = errno;
	write_next_id_of(what, -1, &(struct cryo_error){0});
	if (got < 0 && key_of(id) == key)
		got = id;
	if (got != id)
		return cryo_fail(e, 0, "SysV IPC", what, got < 0 ? err : EEXIST,
				 "cannot recreate SysV %s %d (key %#x): is it still there? (ipcs)", what, id, key);
	return 0;
}

static int sem_get(int key, int flags, int nsems)
{
	return semget(key, nsems, flags);
}

static int msg_get(int key, int flags, int unused)
{
	return msgget(key, flags);
}

static int sem_key(int id)
{
	struct semid_ds ds;
	return semctl(id, 0, IPC_STAT, &ds) < 0 ? -1 : ds.sem_perm.__key;
}

static int msg_key(int id)
{
	struct msqid_ds ds;
	return msgctl(id, IPC_STAT, &ds) < 0 ? -1 : ds.msg_perm.__key;
}

int sysv_create_sem(const struct tree *t, struct cryo_error *e)
{
	for (int i = 0; i < t->nr_sysv_sem; i++) {
		const struct sysv_sem_rec *m = &t->sysv_sem[i];
		if (recreate("sem", m->r.semid, m->r.key, sem_get, (int)m->r.nsems, m->r.mode, sem_key, e))
			return -1;
		if (semctl(m->r.semid, 0, SETALL, m->values) < 0)
			return cryo_fail_errno(e, 0, "SysV semaphores", "semctl(SETALL)", "cannot set semaphore set %d", m->r.semid);
	}
	return 0;
}

int sysv_create_msg(const struct tree *t, struct cryo_error *e)
{
	for (int i = 0; i < t->nr_sysv_msg; i++) {
		const struct sysv_msg_rec *m = &t->sysv_msg[i];
		static struct sysv_message msg;
		if (recreate("msg", m->r.msqid, m->r.key, msg_get, 0, m->r.mode, msg_key, e))
			return -1;
		/* a queue that outlived its processes holds what came after: back to the checkpoint's */
		while (msgrcv(m->r.msqid, &msg, sizeof(msg.mtext), 0, IPC_NOWAIT | MSG_NOERROR) >= 0)
			;
		for (uint64_t at = 0; at + 16 <= m->r.bytes;) {
			int64_t type;
			uint32_t len;
			memcpy(&type, m->messages + at, 8);
			memcpy(&len, m->messages + at + 8, 4);
			if (len > sizeof(msg.mtext) || len > m->r.bytes - at - 16)
				return cryo_fail(e, 0, "SysV message queues", "", EINVAL, "queue %d: damaged message", m->r.msqid);
			msg.mtype = (long)type;
			memcpy(msg.mtext, m->messages + at + 16, len);
			if (msgsnd(m->r.msqid, &msg, len, IPC_NOWAIT) < 0)
				return cryo_fail_errno(e, 0, "SysV message queues", "msgsnd", "cannot put a message back into queue %d", m->r.msqid);
			at += 16 + ((len + 7) & ~7u);
		}
	}
	return 0;
}

/* ---- the SysV kinds (resources.h) ---- */

const struct resource_ops sysv_shm_resource = {
	.section = CRYO_SEC_SYSV_SHM, .name = "SysV shared memory", .capture = sysv_capture, .write = tree_write_sysv_shm,
	.read = tree_read_sysv_shm, .free = tree_free_sysv_shm, .create = sysv_create,
};
const struct resource_ops sysv_sem_resource = {
	.section = CRYO_SEC_SYSV_SEM, .name = "SysV semaphores", .capture = sysv_capture_sem, .write = tree_write_sysv_sem,
	.read = tree_read_sysv_sem, .free = tree_free_sysv_sem, .create = sysv_create_sem,
};
const struct resource_ops sysv_msg_resource = {
	.section = CRYO_SEC_SYSV_MSG, .name = "SysV message queues", .capture = sysv_capture_msg, .write = tree_write_sysv_msg,
	.read = tree_read_sysv_msg, .free = tree_free_sysv_msg, .create = sysv_create_msg,
};
