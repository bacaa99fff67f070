/*
 * An epoll entry names the open file it was registered with, not the
 * number: pipe P is registered as fd A, dup'ed to B, A closed, and a second
 * pipe Q opened, taking number A again.  After the restart the entry still
 * watches P (reached through B), not Q: data written to P wakes epoll_wait
 * with P's tag; data written to Q does not.
 */
#include "testlib.h"
#include <fcntl.h>
#include <sys/epoll.h>

#define TAG_P 0x5151

static int wait_tag(int ep, uint64_t *tag)
{
	struct epoll_event ev;
	int n = epoll_wait(ep, &ev, 1, 0);
	if (n == 1)
		*tag = ev.data.u64;
	return n;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int p[2], q[2];
	int ep = epoll_create1(0);
	if (ep < 0 || pipe(p))
		return 1;
	int a = p[0];
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_P };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev))
		tl_fail("epoll_ctl: %s", strerror(errno));
	int b = dup(a);
	close(a);
	if (pipe(q) || q[0] != a) {
		tl_fail("setup: the second pipe did not take fd %d (got %d)", a, q[0]);
		return tl_finish();
	}
	uint64_t tag = 0;
	TL_CHECK(wait_tag(ep, &tag) == 0, "an event before any data");

	tl_ready();
	tl_wait_go();

	TL_CHECK(wait_tag(ep, &tag) == 0, "an event after the restart before any data");
	TL_CHECK(write(q[1], "q", 1) == 1, "write to Q");
	TL_CHECK(wait_tag(ep, &tag) == 0, "data written to Q (now fd %d) woke the entry registered for P", a);
	TL_CHECK(write(p[1], "p", 1) == 1, "write to P");
	tag = 0;
	TL_CHECK(wait_tag(ep, &tag) == 1 && tag == TAG_P, "data written to P did not wake its entry (tag %#llx)",
		 (unsigned long long)tag);
	char c;
	TL_CHECK(read(b, &c, 1) == 1 && c == 'p', "read P through fd %d", b);
	return tl_finish();
}
