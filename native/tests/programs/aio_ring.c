/*
 * A process with an AIO context (io_setup: the kernel's "[aio]" ring mapped
 * into it) is refused at checkpoint time, and its context still works after
 * the refusal: a read submitted then completes.
 */
#include "testlib.h"
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	aio_context_t ctx = 0;
	if (syscall(SYS_io_setup, 8, &ctx))
		return 2;
	tl_ready();
	tl_wait_go();
	int fd = open("/proc/self/exe", O_RDONLY);
	char data[64];
	struct iocb cb = { .aio_lio_opcode = IOCB_CMD_PREAD, .aio_fildes = (uint32_t)fd,
			   .aio_buf = (uint64_t)(uintptr_t)data, .aio_nbytes = sizeof(data) };
	struct iocb *list[1] = { &cb };
	struct io_event ev;
	TL_CHECK(syscall(SYS_io_submit, ctx, 1, list) == 1, "io_submit after the refusal");
	TL_CHECK(syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL) == 1 && ev.res == sizeof(data), "the read did not complete");
	TL_CHECK(!memcmp(data + 1, "ELF", 3), "the read brought the wrong bytes");
	syscall(SYS_io_destroy, ctx);
	return tl_finish();
}
