/*
 * An inotify descriptor with two watches (numbered 1 and 3: the second
 * watch was removed) comes back with the same watch numbers; after the
 * restart a file created in a watched directory is reported under its
 * watch's number.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	char a[512], b[512], c[512];
	tl_work_path(a, sizeof(a), "watched-a");
	tl_work_path(b, sizeof(b), "watched-b");
	tl_work_path(c, sizeof(c), "unwatched");
	mkdir(a, 0700);
	mkdir(b, 0700);
	mkdir(c, 0700);
	int fd = inotify_init1(IN_NONBLOCK);
	int wa = inotify_add_watch(fd, a, IN_CREATE);
	int wc = inotify_add_watch(fd, c, IN_CREATE);
	inotify_rm_watch(fd, wc);
	char drain[4096];
	while (read(fd, drain, sizeof(drain)) > 0)          /* the IN_IGNORED of the removal */
		;
	int wb = inotify_add_watch(fd, b, IN_CREATE | IN_DELETE);
	if (wa != 1 || wb != 3)
		tl_fail("unexpected watch numbers before the checkpoint: %d %d", wa, wb);
	tl_ready();
	tl_wait_go();

	char path[600];
	snprintf(path, sizeof(path), "%s/new-file", b);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	char buf[4096];
	ssize_t n = -1;
	for (int i = 0; i < 200 && n <= 0; i++) {
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			tl_sleep_ms(10);
	}
	struct inotify_event *ev = (struct inotify_event *)buf;
	if (n <= 0 || ev->wd != wb || !(ev->mask & IN_CREATE) || strcmp(ev->name, "new-file"))
		tl_fail("no IN_CREATE for new-file under watch %d after the restart", wb);
	if (inotify_rm_watch(fd, wa) != 0)
		tl_fail("watch %d is gone after the restart", wa);
	return tl_finish();
}
