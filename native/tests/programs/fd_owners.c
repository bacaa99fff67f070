/*
 * Whom an open file signals, and its lease:
 *   a pipe with O_ASYNC, owned by the process (F_SETOWN), signal SIGUSR1 (F_SETSIG);
 *   a socket with O_ASYNC, owned by a worker thread (F_SETOWN_EX F_OWNER_TID), signal SIGRTMIN+2;
 *   a regular file with a read lease (F_SETLEASE F_RDLCK).
 * After the restart F_GETOWN_EX, F_GETSIG, O_ASYNC and F_GETLEASE are as
 * they were, data on the pipe signals the process (si_fd the pipe's) and
 * data on the socket signals the worker thread, and only it.
 * With "outside": a pipe owned by the program's parent, outside the tree,
 * which Cryo refuses; the owner is unchanged after.
 */
#include "testlib.h"
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>

static int pipe_fds[2], sock[2];
static volatile sig_atomic_t usr1_count, usr1_bad;
static int worker_count, worker_bad;
static pid_t worker_tid;
#define SOCK_SIG (SIGRTMIN + 2)

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	if (si->si_fd != pipe_fds[0])
		usr1_bad++;
	usr1_count++;
}

static void *worker(void *arg)
{
	sigset_t set;
	siginfo_t si;
	sigemptyset(&set);
	sigaddset(&set, SOCK_SIG);
	__atomic_store_n(&worker_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	for (;;)
		if (sigwaitinfo(&set, &si) == SOCK_SIG) {
			if (si.si_fd != sock[0])
				__atomic_add_fetch(&worker_bad, 1, __ATOMIC_SEQ_CST);
			__atomic_add_fetch(&worker_count, 1, __ATOMIC_SEQ_CST);
		}
	return NULL;
}

static void set_owner(int fd, int type, pid_t pid, int sig)
{
	struct f_owner_ex o = { type, pid };
	if (fcntl(fd, F_SETOWN_EX, &o) || fcntl(fd, F_SETSIG, sig) || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC))
		tl_fail("fcntl on fd %d: %s", fd, strerror(errno));
}

static void check_owner(int fd, int type, pid_t pid, int sig)
{
	struct f_owner_ex o = { -1, -1 };
	TL_CHECK(fcntl(fd, F_GETOWN_EX, &o) == 0 && o.type == type && o.pid == pid,
		 "fd %d: owner type %d pid %d, was type %d pid %d", fd, o.type, o.pid, type, pid);
	TL_CHECK(fcntl(fd, F_GETSIG) == sig, "fd %d: signal %d, was %d", fd, fcntl(fd, F_GETSIG), sig);
	TL_CHECK(fcntl(fd, F_GETFL) & O_ASYNC, "fd %d lost O_ASYNC", fd);
}

/* Writes a byte to fd, then polls (bounded) until counter has grown. */
static int write_signals(int fd, volatile int *counter)
{
	int from = __atomic_load_n(counter, __ATOMIC_SEQ_CST);
	if (write(fd, "x", 1) != 1)
		return 0;
	for (int i = 0; i < 2000; i++) {
		if (__atomic_load_n(counter, __ATOMIC_SEQ_CST) > from)
			return 1;
		tl_sleep_ms(5);
	}
	return 0;
}

static int outside(void)
{
	if (pipe(pipe_fds))
		return 1;
	if (fcntl(pipe_fds[0], F_SETOWN, getppid()))
		tl_fail("F_SETOWN: %s", strerror(errno));
	tl_ready();
	tl_wait_go();
	TL_CHECK(fcntl(pipe_fds[0], F_GETOWN) == getppid(), "the owner changed");
	return tl_finish();
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (argc > 2 && !strcmp(argv[2], "outside"))
		return outside();
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SOCK_SIG);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_t t;
	if (pipe(pipe_fds) || socketpair(AF_UNIX, SOCK_STREAM, 0, sock) || pthread_create(&t, NULL, worker, NULL))
		return 1;
	while (!__atomic_load_n(&worker_tid, __ATOMIC_SEQ_CST))
		tl_sleep_ms(1);
	set_owner(pipe_fds[0], F_OWNER_PID, getpid(), SIGUSR1);
	set_owner(sock[0], F_OWNER_TID, worker_tid, SOCK_SIG);
	char path[256];
	tl_work_path(path, sizeof(path), "leased");
	int w = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	if (w < 0 || write(w, "lease", 5) != 5)
		tl_fail("create %s", path);
	close(w);
	int leased = open(path, O_RDONLY);
	if (leased < 0 || fcntl(leased, F_SETLEASE, F_RDLCK))
		tl_fail("F_SETLEASE: %s", strerror(errno));
	/* the signals work before: the test itself is sound */
	if (!write_signals(pipe_fds[1], (volatile int *)&usr1_count))
		tl_fail("no SIGUSR1 from the pipe before the checkpoint");
	if (!write_signals(sock[1], &worker_count))
		tl_fail("no signal from the socket before the checkpoint");

	tl_ready();
	tl_wait_go();

	check_owner(pipe_fds[0], F_OWNER_PID, getpid(), SIGUSR1);
	check_owner(sock[0], F_OWNER_TID, worker_tid, SOCK_SIG);
	TL_CHECK(fcntl(leased, F_GETLEASE) == F_RDLCK, "the read lease is gone (F_GETLEASE %d)", fcntl(leased, F_GETLEASE));
	TL_CHECK(write_signals(pipe_fds[1], (volatile int *)&usr1_count), "data on the pipe no longer signals the process");
	TL_CHECK(write_signals(sock[1], &worker_count), "data on the socket no longer signals the worker thread");
	TL_CHECK(!usr1_bad && !__atomic_load_n(&worker_bad, __ATOMIC_SEQ_CST), "a signal named the wrong descriptor");
	return tl_finish();
}
