/*
 * pidfds within a tree: the root holds a pidfd of its child A (and a dup of
 * it, and a second one with PIDFD_NONBLOCK) and one of its child B, which
 * has exited (a zombie); A holds a pidfd of its parent.  After the restart
 * each names its process again: a signal sent through it reaches A, A's
 * names the root, B's is readable and waitid(P_PIDFD) reaps B with its
 * status 7; the dup is still the same open file and only the one flag
 * O_NONBLOCK.
 * With "outside": a pidfd of the program's parent, outside the tree, which
 * Cryo refuses; the pidfd still works after.
 */
#include "testlib.h"
#include <fcntl.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { got_usr1 = 1; }

static int pidfd_open(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
static int send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

/* The PID a pidfd's fdinfo shows. */
static int fdinfo_pid(int fd)
{
	char path[64], line[128];
	int pid = 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "r");
	if (!f)
		return -2;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1)
			break;
	fclose(f);
	return pid;
}

/* Child A: answers the root's commands. */
static void child_a(int cmd, int answer)
{
	signal(SIGUSR1, on_usr1);
	int parent = pidfd_open(getppid(), 0);
	char c;
	while (read(cmd, &c, 1) == 1) {
		char r = 'x';
		if (c == 's')
			r = got_usr1 ? 'y' : 'n';
		else if (c == 'p')
			r = parent >= 0 && send_signal(parent, 0) == 0 && fdinfo_pid(parent) == getppid() ? 'o' : 'x';
		else if (c == 'q')
			_exit(0);
		if (write(answer, &r, 1) != 1)
			_exit(1);
	}
	_exit(2);
}

static char ask(int cmd, int answer, char c)
{
	char r = 0;
	if (write(cmd, &c, 1) != 1 || read(answer, &r, 1) != 1)
		return 0;
	return r;
}

static int outside(void)
{
	int fd = pidfd_open(getppid(), 0);
	if (fd < 0)
		tl_fail("pidfd_open(parent): %s", strerror(errno));
	tl_ready();
	tl_wait_go();
	TL_CHECK(send_signal(fd, 0) == 0, "the pidfd of the parent no longer works");
	return tl_finish();
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (argc > 2 && !strcmp(argv[2], "outside"))
		return outside();
	int to_a[2], from_a[2];
	if (pipe(to_a) || pipe(from_a))
		return 1;
	pid_t a = fork();
	if (a == 0) {
		close(to_a[1]);
		close(from_a[0]);
		child_a(to_a[0], from_a[1]);
	}
	close(to_a[0]);
	close(from_a[1]);
	pid_t b = fork();
	if (b == 0)
		_exit(7);
	int pa = pidfd_open(a, 0), pa_dup = dup(pa), pa_nb = pidfd_open(a, PIDFD_NONBLOCK), pb = pidfd_open(b, 0);
	if (pa < 0 || pa_dup < 0 || pa_nb < 0 || pb < 0) {
		tl_fail("pidfd_open: %s", strerror(errno));
		return tl_finish();
	}
	struct pollfd p = { .fd = pb, .events = POLLIN };
	if (poll(&p, 1, 10000) != 1)               /* B is a zombie now */
		tl_fail("child B does not exit");
	if (ask(to_a[1], from_a[0], 'p') != 'o')   /* A has its pidfd of the root */
		tl_fail("child A is not ready");

	tl_ready();
	tl_wait_go();

	TL_CHECK(fdinfo_pid(pa) == a, "the pidfd of A shows PID %d, A is %d", fdinfo_pid(pa), a);
	TL_CHECK(fdinfo_pid(pb) == b, "the pidfd of B shows PID %d, B is %d", fdinfo_pid(pb), b);
	TL_CHECK(syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, pa, pa_dup) == 0, "the dup of A's pidfd is another open file");
	TL_CHECK(syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, pa, pa_nb) != 0, "A's two pidfds became one open file");
	TL_CHECK(fcntl(pa_nb, F_GETFL) & O_NONBLOCK, "the PIDFD_NONBLOCK pidfd lost O_NONBLOCK");
	TL_CHECK(!(fcntl(pa, F_GETFL) & O_NONBLOCK), "A's pidfd gained O_NONBLOCK");
	TL_CHECK(send_signal(pa_dup, SIGUSR1) == 0, "pidfd_send_signal to A: %s", strerror(errno));
	char r = 0;
	for (int i = 0; i < 1000 && (r = ask(to_a[1], from_a[0], 's')) == 'n'; i++)
		tl_sleep_ms(5);
	TL_CHECK(r == 'y', "A did not get the signal sent through its pidfd (%c)", r);
	TL_CHECK(ask(to_a[1], from_a[0], 'p') == 'o', "A's pidfd of the root does not name the root");
	p.revents = 0;
	TL_CHECK(poll(&p, 1, 0) == 1 && p.revents & POLLIN, "the pidfd of zombie B is not readable");
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	TL_CHECK(syscall(SYS_waitid, P_PIDFD, pb, &si, WEXITED, NULL) == 0 && si.si_pid == b && si.si_status == 7,
		 "waitid on B's pidfd: pid %d status %d (%s)", si.si_pid, si.si_status, strerror(errno));
	char q = 'q';
	TL_CHECK(write(to_a[1], &q, 1) == 1, "tell A to quit");
	memset(&si, 0, sizeof(si));
	TL_CHECK(syscall(SYS_waitid, P_PIDFD, pa, &si, WEXITED, NULL) == 0 && si.si_pid == a && si.si_status == 0,
		 "waitid on A's pidfd: pid %d status %d", si.si_pid, si.si_status);
	return tl_finish();
}
