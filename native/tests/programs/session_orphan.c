/*
 * A session whose leader's grandchild outlived its parent: the root leads
 * session R; its child forks G and exits, so G's parent is outside the
 * session (PID 1 or a subreaper) but G is still in session R.  Checkpointed
 * with --sid R, G is a second root of the file in a session led by the
 * first: a restart could only bring it back in another session (a process
 * cannot join a session, only make one), so the checkpoint is refused.
 * The root then checks it still leads its session and that G is still in it.
 */
#include "testlib.h"
#include <signal.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	if (setsid() < 0) {
		tl_fail("setsid: %s", strerror(errno));
		return tl_finish();
	}
	int report[2];
	if (pipe(report)) {
		tl_fail("pipe");
		return tl_finish();
	}
	pid_t middle = fork();
	if (middle == 0) {
		pid_t g = fork();
		if (g == 0) {
			close(report[0]);
			tl_wait_go();
			pid_t sid = getsid(0);
			if (write(report[1], &sid, sizeof(sid)) != sizeof(sid))
				_exit(2);
			_exit(0);
		}
		_exit(0);
	}
	close(report[1]);
	int st;
	waitpid(middle, &st, 0);
	tl_ready();
	tl_wait_go();
	pid_t sid = 0;
	TL_CHECK(read(report[0], &sid, sizeof(sid)) == sizeof(sid) && sid == getpid(),
		 "the orphan is in session %d, not in the root's %d", sid, getpid());
	TL_CHECK(getsid(0) == getpid(), "the root no longer leads its session");
	return tl_finish();
}
