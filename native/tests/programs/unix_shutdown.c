/*
 * Unix socket pairs of all three types (stream, datagram, seqpacket), shut
 * down one way, the other way, both ways, or from both ends, with data
 * queued in both directions at checkpoint time.  After the restart each
 * pair must behave as a pair built the same way afresh by this very
 * process: the same reads (data, then EOF or EAGAIN) and the same writes
 * (accepted or EPIPE), one by one.
 */
#include "testlib.h"
#include <sys/socket.h>

#define NR_TYPES 3
#define NR_CASES 5

static const int types[NR_TYPES] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
static const char *type_names[NR_TYPES] = { "stream", "datagram", "seqpacket" };
/* how end a, then end b, are shut down (-1: not) */
static const int shut[NR_CASES][2] = {
	{ SHUT_WR, -1 }, { SHUT_RD, -1 }, { SHUT_RDWR, -1 }, { SHUT_WR, SHUT_WR }, { SHUT_RD, SHUT_WR },
};

static int build(int type, int c, int sv[2])
{
	if (socketpair(AF_UNIX, type, 0, sv) < 0)
		return -1;
	if (send(sv[0], "to b, 1", 7, 0) != 7 || send(sv[0], "to b, second", 12, 0) != 12 ||
	    send(sv[1], "to a", 4, 0) != 4)
		return -1;
	for (int end = 0; end < 2; end++)
		if (shut[c][end] >= 0 && shutdown(sv[end], shut[c][end]) < 0)
			return -1;
	return 0;
}

/* What the pair does, step by step, as text: every read and write's result. */
static void behave(int sv[2], char *out, size_t size)
{
	size_t at = 0;
	char buf[64];
	out[0] = 0;
	for (int step = 0; step < 8; step++) {
		int end = step < 3 ? 1 : step < 5 ? 0 : step == 5 ? 0 : step == 6 ? 1 : 0;
		ssize_t n;
		errno = 0;
		if (step == 5)
			n = send(sv[0], "late", 4, MSG_NOSIGNAL | MSG_DONTWAIT);
		else if (step == 6)
			n = send(sv[1], "late", 4, MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			n = recv(sv[end], buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n > 0 && step != 5 && step != 6) {
			buf[n] = 0;
			at += (size_t)snprintf(out + at, size - at, "[%d:%s]", end, buf);
		} else {
			at += (size_t)snprintf(out + at, size - at, "[%d:%zd %s]", end, n, n < 0 ? strerror(errno) : "");
		}
		if (at >= size)
			return;
	}
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int pairs[NR_TYPES][NR_CASES][2];
	for (int t = 0; t < NR_TYPES; t++)
		for (int c = 0; c < NR_CASES; c++)
			if (build(types[t], c, pairs[t][c]) < 0) {
				printf("cannot build %s pair %d: %s\n", type_names[t], c, strerror(errno));
				return 1;
			}
	tl_ready();
	tl_wait_go();
	for (int t = 0; t < NR_TYPES; t++)
		for (int c = 0; c < NR_CASES; c++) {
			int fresh[2];
			char want[1024], got[1024];
			if (build(types[t], c, fresh) < 0) {
				tl_fail("cannot build a fresh %s pair %d", type_names[t], c);
				continue;
			}
			behave(fresh, want, sizeof(want));
			behave(pairs[t][c], got, sizeof(got));
			if (strcmp(want, got))
				tl_fail("%s pair, shut down %d/%d: %s, not %s", type_names[t], shut[c][0], shut[c][1], got, want);
			close(fresh[0]);
			close(fresh[1]);
		}
	return tl_finish();
}
