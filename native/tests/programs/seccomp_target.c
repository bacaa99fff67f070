/*
 * seccomp:
 * "strict": one thread under SECCOMP_MODE_STRICT (an injected syscall would
 * kill the whole process), blocked in read(), which Cryo refuses and must
 * leave running: after the go the strict thread still answers.
 * "filter": the process under two stacked seccomp filters (getppid fails
 * with EPERM, getpgid with ENOENT), in the main thread and in a thread made
 * after them, which Cryo restores (root): after the go both filters still
 * act in both threads, and /proc shows two filters.
 */
#include "testlib.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static int pipe_go[2], pipe_done[2];
static volatile int strict_entered;

/* Only read, write and exit from here on: raw syscalls, no libc. */
static void *strict_thread(void *arg)
{
	(void)arg;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0)
		return NULL;
	strict_entered = 1;
	char c;
	if (syscall(SYS_read, pipe_go[0], &c, 1) == 1)
		syscall(SYS_write, pipe_done[1], "s", 1);
	syscall(SYS_exit, 0);
	return NULL;
}

/* syscall nr fails with errno err; everything else is allowed. */
static int install_filter(long nr, int err)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static void check_filters_act(const char *where)
{
	errno = 0;
	TL_CHECK(syscall(SYS_getppid) == -1 && errno == EPERM, "%s: the first seccomp filter no longer acts (getppid: errno %d)",
		 where, errno);
	errno = 0;
	TL_CHECK(syscall(SYS_getpgid, 0) == -1 && errno == ENOENT, "%s: the second seccomp filter no longer acts (getpgid: errno %d)",
		 where, errno);
}

static volatile int filtered_go, filtered_done;

static void *filtered_thread(void *arg)
{
	while (!filtered_go)
		tl_sleep_ms(5);
	check_filters_act("the second thread");
	filtered_done = 1;
	return NULL;
}

static int filters_listed(void)
{
	char line[128];
	int n = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp_filters: %d", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int strict = argc > 2 && strcmp(argv[2], "strict") == 0;
	pthread_t t;
	if (strict) {
		if (pipe(pipe_go) || pipe(pipe_done) || pthread_create(&t, NULL, strict_thread, NULL)) {
			tl_fail("setup: %s", strerror(errno));
			return tl_finish();
		}
		while (!strict_entered)
			tl_sleep_ms(1);
	} else if (install_filter(SYS_getppid, EPERM) || install_filter(SYS_getpgid, ENOENT) ||
		   pthread_create(&t, NULL, filtered_thread, NULL)) {
		tl_fail("seccomp filter: %s", strerror(errno));
		return tl_finish();
	}

	tl_ready();
	tl_wait_go();

	if (strict) {
		char c = 0;
		TL_CHECK(write(pipe_go[1], "g", 1) == 1, "write to the strict thread");
		TL_CHECK(read(pipe_done[0], &c, 1) == 1 && c == 's', "no answer from the strict thread");
		pthread_join(t, NULL);
	} else {
		check_filters_act("the main thread");
		TL_CHECK(filters_listed() == 2, "/proc shows %d seccomp filters, not 2", filters_listed());
		filtered_go = 1;
		pthread_join(t, NULL);
		TL_CHECK(filtered_done, "the second thread did not check");
	}
	return tl_finish();
}
