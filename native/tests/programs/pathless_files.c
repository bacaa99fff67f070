/*
 * Files that no path brings back, each of which a checkpoint must refuse by
 * name rather than save as a reference to whatever its path reaches later:
 * argv[2] "mqueue" (a POSIX message queue, named), "mqueue_unlinked" (its
 * name gone), "secretmem" (memfd_secret; prints SKIP where the kernel has
 * none), "covered" (the file argv[3], opened before the test mounts another
 * file system over its directory).  After the go (the checkpoint refused,
 * the process untouched) each still works as before.
 */
#include "testlib.h"
#include <fcntl.h>
#include <mqueue.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	const char *mode = argc > 2 ? argv[2] : "mqueue";
	char name[64];
	snprintf(name, sizeof(name), "/cryo-test-%d", (int)getpid());
	int fd = -1;
	if (!strncmp(mode, "mqueue", 6)) {
		struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 16 };
		fd = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
		TL_CHECK(fd >= 0, "mq_open: %s", strerror(errno));
		TL_CHECK(mq_send(fd, "queued", 7, 1) == 0, "mq_send: %s", strerror(errno));
		if (!strcmp(mode, "mqueue_unlinked"))
			mq_unlink(name);
	} else if (!strcmp(mode, "secretmem")) {
		fd = (int)syscall(SYS_memfd_secret, 0);
		if (fd < 0) {
			printf("SKIP memfd_secret: %s\n", strerror(errno));
			fflush(stdout);
		}
		TL_CHECK(fd < 0 || ftruncate(fd, 4096) == 0, "ftruncate: %s", strerror(errno));
	} else {
		fd = open(argv[3], O_RDWR);
		TL_CHECK(fd >= 0 && write(fd, "covered", 7) == 7, "open %s: %s", argv[3], strerror(errno));
	}
	tl_ready();
	tl_wait_go();

	if (!strncmp(mode, "mqueue", 6)) {
		char msg[16] = "";
		TL_CHECK(mq_receive(fd, msg, sizeof(msg), NULL) == 7 && !strcmp(msg, "queued"), "the queued message is gone");
		mq_unlink(name);
	} else if (fd >= 0 && !strcmp(mode, "secretmem")) {
		char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		TL_CHECK(p != MAP_FAILED, "mmap of the secret memory: %s", strerror(errno));
	} else if (fd >= 0) {
		char back[8] = "";
		TL_CHECK(pread(fd, back, 7, 0) == 7 && !memcmp(back, "covered", 7), "the covered file does not read back");
	}
	return tl_finish();
}
