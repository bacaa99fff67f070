/*
 * Per-process attributes: interval timers (ITIMER_REAL and ITIMER_PROF armed
 * with long values and still counting down, ITIMER_VIRTUAL), resource limits
 * (a few changed, all compared), the working directory, the umask (027), the
 * personality (ADDR_NO_RANDOMIZE) and the thread name.
 */
#include "testlib.h"
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>

static volatile int alarms;
static void on_alarm(int sig) { alarms++; }

static double seconds(struct timeval tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	signal(SIGALRM, on_alarm);
	signal(SIGVTALRM, on_alarm);
	signal(SIGPROF, on_alarm);

	struct itimerval real = { { 100, 0 }, { 1000, 0 } };
	struct itimerval virt = { { 50, 250000 }, { 500, 0 } };
	struct itimerval prof = { { 70, 0 }, { 700, 0 } };
	setitimer(ITIMER_REAL, &real, NULL);
	setitimer(ITIMER_VIRTUAL, &virt, NULL);
	setitimer(ITIMER_PROF, &prof, NULL);

	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = 512;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_STACK, &rl);
	rl.rlim_cur = 6 << 20;
	setrlimit(RLIMIT_STACK, &rl);
	rl.rlim_cur = 0;
	rl.rlim_max = 1 << 20;
	setrlimit(RLIMIT_CORE, &rl);
	getrlimit(RLIMIT_MSGQUEUE, &rl);
	rl.rlim_cur = 12345;
	setrlimit(RLIMIT_MSGQUEUE, &rl);
	struct rlimit limits[RLIM_NLIMITS];
	for (int r = 0; r < RLIM_NLIMITS; r++)
		getrlimit(r, &limits[r]);

	char dir[PATH_MAX], cwd[PATH_MAX];
	tl_work_path(dir, sizeof(dir), "cwd.dir");
	mkdir(dir, 0755);
	if (chdir(dir) != 0) {
		tl_fail("chdir %s", dir);
		return 1;
	}
	getcwd(cwd, sizeof(cwd));
	close(open("marker", O_CREAT | O_WRONLY, 0644));

	umask(027);
	int pers = personality(0xffffffff);
	personality(pers | ADDR_NO_RANDOMIZE);
	pers = personality(0xffffffff);
	prctl(PR_SET_NAME, "cryo-attrs");

	struct itimerval real0;
	getitimer(ITIMER_REAL, &real0);

	tl_ready();
	tl_wait_go();

	struct itimerval t;
	getitimer(ITIMER_REAL, &t);
	TL_CHECK(seconds(t.it_interval) == 100.0, "ITIMER_REAL interval %.6f, was 100", seconds(t.it_interval));
	TL_CHECK(t.it_value.tv_sec > 0 || t.it_value.tv_usec > 0, "ITIMER_REAL disarmed");
	TL_CHECK(seconds(t.it_value) < seconds(real0.it_value) && seconds(t.it_value) > 900,
		 "ITIMER_REAL value %.3f s, was %.3f s before the checkpoint (not counting?)",
		 seconds(t.it_value), seconds(real0.it_value));
	getitimer(ITIMER_VIRTUAL, &t);
	TL_CHECK(t.it_interval.tv_sec == 50 && t.it_interval.tv_usec == 250000,
		 "ITIMER_VIRTUAL interval %.6f", seconds(t.it_interval));
	TL_CHECK(seconds(t.it_value) > 490 && seconds(t.it_value) <= 500.1, "ITIMER_VIRTUAL value %.3f", seconds(t.it_value));
	getitimer(ITIMER_PROF, &t);
	TL_CHECK(t.it_interval.tv_sec == 70, "ITIMER_PROF interval %.6f", seconds(t.it_interval));
	TL_CHECK(seconds(t.it_value) > 690 && seconds(t.it_value) <= 700.1, "ITIMER_PROF value %.3f", seconds(t.it_value));
	TL_CHECK(alarms == 0, "%d timer signals fired", alarms);

	for (int r = 0; r < RLIM_NLIMITS; r++) {
		getrlimit(r, &rl);
		TL_CHECK(rl.rlim_cur == limits[r].rlim_cur && rl.rlim_max == limits[r].rlim_max,
			 "rlimit %d is %llu/%llu, was %llu/%llu", r, (unsigned long long)rl.rlim_cur,
			 (unsigned long long)rl.rlim_max, (unsigned long long)limits[r].rlim_cur,
			 (unsigned long long)limits[r].rlim_max);
	}

	char now[PATH_MAX];
	TL_CHECK(getcwd(now, sizeof(now)) && strcmp(now, cwd) == 0, "cwd is %s, was %s", now, cwd);
	TL_CHECK(access("marker", F_OK) == 0, "relative path 'marker' not found in the cwd");

	mode_t m = umask(027);
	TL_CHECK(m == 027, "umask %03o, was 027", m);
	int fd = open("created", O_CREAT | O_WRONLY, 0666);
	struct stat st;
	TL_CHECK(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0640,
		 "file created with mode %03o, expected 640", st.st_mode & 0777);
	close(fd);

	int p = personality(0xffffffff);
	TL_CHECK(p == pers && (p & ADDR_NO_RANDOMIZE), "personality %#x, was %#x", p, pers);
	char name[32] = "";
	prctl(PR_GET_NAME, name);
	TL_CHECK(strcmp(name, "cryo-attrs") == 0, "thread name '%s'", name);

	/* Keeps working: a short real timer fires. */
	struct itimerval shortt = { { 0, 0 }, { 0, 50000 } };
	setitimer(ITIMER_REAL, &shortt, NULL);
	for (int i = 0; i < 200 && alarms == 0; i++)
		tl_sleep_ms(10);
	TL_CHECK(alarms == 1, "a 50 ms ITIMER_REAL after restart fired %d times", alarms);
	return tl_finish();
}
