/*
 * Sessions and process groups come back as they were.  The root makes a
 * session of its own (setsid), then, in mode "leader", children that stay in
 * its group; in mode "jobs", a session run by job control:
 *
 *   root R        leads session R and group R
 *   A             leads group A            (a job)
 *   B             in group A               (the job's second process)
 *   A1, A's child in group C               (its leader C comes later in the tree)
 *   C             leads group C
 *   E             led group E, then exited: a zombie holding group E
 *   F             in group E
 *   D             in group R
 *
 * After the restart every process checks that its process group and session
 * are the recorded ones; the root checks the zombie's group and status.  If
 * the file "new-session" exists in the work directory at go time, the
 * restart was told not to restore the root's session (--no-restore-sid): the
 * root must then lead its group but not a session, and every process must be
 * in the root's session; if "new-group" exists too (--no-restore-pgid), the
 * root must not lead a group either, and the members of its group must be in
 * its group (the restart's).
 */
#include "testlib.h"
#include <signal.h>
#include <sys/wait.h>

static pid_t root;
static pid_t root_sid_then;
static int recorded[2];         /* each process writes a byte once it has noted its ids */

static void say_recorded(void)
{
	if (write(recorded[1], "r", 1) != 1)
		_exit(2);
	close(recorded[1]);
}

static int work_file_exists(const char *name)
{
	char path[4096];
	return access(tl_work_path(path, sizeof(path), name), F_OK) == 0;
}

static int new_session_expected(void)
{
	return work_file_exists("new-session");
}

static int new_group_expected(void)
{
	return work_file_exists("new-group");
}

/* What each process checks about itself once restarted. */
static void check_ids(const char *name, pid_t pgid_then, pid_t sid_then)
{
	pid_t pgid = getpgid(0), sid = getsid(0);
	if (new_group_expected() && pgid_then == root)
		pgid_then = getpgid(root);              /* the root's group is the restart's now */
	TL_CHECK(pgid == pgid_then, "%s (%d): process group %d, was %d", name, (int)getpid(), (int)pgid, (int)pgid_then);
	if (!new_session_expected()) {
		TL_CHECK(sid == sid_then, "%s (%d): session %d, was %d", name, (int)getpid(), (int)sid, (int)sid_then);
		return;
	}
	pid_t root_sid = getsid(root);
	TL_CHECK(root_sid != root, "the root leads a session again although the restart was told not to");
	TL_CHECK(sid == root_sid, "%s (%d): session %d, the root's is %d", name, (int)getpid(), (int)sid, (int)root_sid);
}

/* A child: waits for the go file, checks, ends 0 if all was well. */
static void child_body(const char *name)
{
	pid_t pgid = getpgid(0), sid = getsid(0);
	say_recorded();
	tl_wait_go();
	check_ids(name, pgid, sid);
	_exit(tl_failures ? 1 : 0);
}

/* A child that goes on once its parent has put it in group want (-1: its
 * own; 0: it stays in its parent's). */
static pid_t spawn(const char *name, pid_t want)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (want < 0)
			want = getpid();
		while (want && getpgid(0) != want)
			tl_sleep_ms(1);
		child_body(name);
	}
	return pid;
}

static char state_of(pid_t pid)
{
	char path[64], buf[512] = "";
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (tl_read_file(path, buf, sizeof(buf) - 1) <= 0)
		return '?';
	char *close_paren = strrchr(buf, ')');
	return close_paren && close_paren[1] == ' ' ? close_paren[2] : '?';
}

/* A leads its group and forks A1 into group C. */
static pid_t spawn_a(pid_t c)
{
	pid_t a = fork();
	if (a != 0)
		return a;
	while (getpgid(0) != getpid())
		tl_sleep_ms(1);
	pid_t a1 = fork();
	if (a1 == 0) {
		while (getpgid(0) != c)
			tl_sleep_ms(1);
		child_body("A1");
	}
	if (setpgid(a1, c) < 0)
		tl_fail("setpgid(A1, C): %s", strerror(errno));
	pid_t pgid = getpgid(0), sid = getsid(0);
	say_recorded();
	tl_wait_go();
	check_ids("A", pgid, sid);
	int st;
	TL_CHECK(waitpid(a1, &st, 0) == a1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "A1 failed");
	_exit(tl_failures ? 1 : 0);
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int jobs = argc > 2 && !strcmp(argv[2], "jobs");
	if (setsid() < 0) {
		tl_fail("setsid: %s", strerror(errno));
		return tl_finish();
	}
	root = getpid();
	root_sid_then = getsid(0);
	pid_t kids[8];
	int n = 0;
	pid_t e = 0;
	if (pipe(recorded)) {
		tl_fail("pipe");
		return tl_finish();
	}
	if (jobs) {
		pid_t c = spawn("C", -1);
		setpgid(c, c);
		pid_t a = spawn_a(c);
		setpgid(a, a);
		pid_t b = spawn("B", a);
		TL_CHECK(setpgid(b, a) == 0, "setpgid(B, A): %s", strerror(errno));
		e = fork();
		if (e == 0) {
			while (getpgid(0) != getpid())
				tl_sleep_ms(1);
			_exit(7);
		}
		setpgid(e, e);
		pid_t f = spawn("F", e);
		TL_CHECK(setpgid(f, e) == 0, "setpgid(F, E): %s", strerror(errno));
		for (int i = 0; i < 1000 && state_of(e) != 'Z'; i++)
			tl_sleep_ms(10);
		TL_CHECK(state_of(e) == 'Z', "E did not end");
		kids[n++] = c;
		kids[n++] = a;
		kids[n++] = b;
		kids[n++] = f;
	}
	kids[n++] = spawn("D", 0);
	kids[n++] = spawn("D", 0);
	close(recorded[1]);
	char byte;
	for (int k = 0; k < n + jobs; k++)          /* A1 too */
		TL_CHECK(read(recorded[0], &byte, 1) == 1, "a child never noted its ids");
	close(recorded[0]);
	pid_t pgid = getpgid(0);

	tl_ready();
	tl_wait_go();

	check_ids("root", pgid, root_sid_then);
	if (new_session_expected() && !new_group_expected())
		TL_CHECK(getpgid(0) == getpid(), "the root does not lead its process group");
	if (new_group_expected())
		TL_CHECK(getpgid(0) != getpid(), "the root leads a process group although the restart was told not to");
	if (e) {
		TL_CHECK(getpgid(e) == e, "the zombie E is in group %d, was %d", (int)getpgid(e), (int)e);
		int st;
		TL_CHECK(waitpid(e, &st, 0) == e && WIFEXITED(st) && WEXITSTATUS(st) == 7, "the zombie E's status is wrong");
	}
	for (int k = 0; k < n; k++) {
		int st;
		TL_CHECK(waitpid(kids[k], &st, 0) == kids[k] && WIFEXITED(st) && WEXITSTATUS(st) == 0,
			 "child %d failed", (int)kids[k]);
	}
	return tl_finish();
}
