/*
 * A process Cryo must refuse to checkpoint, and must leave running:
 * "strict": one thread under SECCOMP_MODE_STRICT (an injected syscall would
 * kill the whole process), blocked in read(); "filter": the process under a
 * seccomp filter (which Cryo does not restore).  After the go the program
 * checks it still works: the strict thread answers, the filter still acts.
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

/* getppid fails with EPERM (errno 1); everything else is allowed. */
static int install_filter(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
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
	} else if (install_filter()) {
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
		errno = 0;
		TL_CHECK(syscall(SYS_getppid) == -1 && errno == EPERM, "the seccomp filter no longer acts (getppid: errno %d)", errno);
	}
	return tl_finish();
}
