/*
 * Sockets Cryo cannot restore faithfully, one per mode (argv[2]); the
 * checkpoint must refuse each and leave the program running untouched,
 * which it checks after the go:
 *   udp-queued      a bound UDP socket with a datagram waiting to be read
 *   outside-tcp P   a TCP connection to port P of a process outside the tree
 *   tcp-pending     a TCP listener with a connection not yet accepted
 *   packet          an AF_PACKET socket
 *   ebpf            a socket with an eBPF filter (SO_ATTACH_BPF)
 *   scm-rights      a socket pair with a descriptor in flight (SCM_RIGHTS)
 *   mcast-source    a UDP socket in a source-specific multicast group
 */
#include "testlib.h"
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>

static struct sockaddr_in loopback(int port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

static int bound_udp(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = loopback(0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		tl_fail("UDP: %s", strerror(errno));
	return fd;
}

/* A socket filter program that accepts everything: r0 = -1; exit. */
static int load_ebpf_filter(void)
{
	struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr = { .prog_type = BPF_PROG_TYPE_SOCKET_FILTER, .insn_cnt = 2,
				.insns = (uintptr_t)prog, .license = (uintptr_t)"GPL" };
	return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	const char *mode = argc > 2 ? argv[2] : "";
	int a = -1, b = -1, c = -1;
	char buf[64];
	if (!strcmp(mode, "udp-queued")) {
		a = bound_udp();
		b = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in to;
		socklen_t l = sizeof(to);
		getsockname(a, (struct sockaddr *)&to, &l);
		if (sendto(b, "queued", 6, 0, (struct sockaddr *)&to, sizeof(to)) != 6)
			tl_fail("sendto: %s", strerror(errno));
	} else if (!strcmp(mode, "outside-tcp") && argc > 3) {
		a = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in to = loopback(atoi(argv[3]));
		if (connect(a, (struct sockaddr *)&to, sizeof(to)) < 0)
			tl_fail("connect: %s", strerror(errno));
	} else if (!strcmp(mode, "tcp-pending")) {
		a = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in at = loopback(0);
		socklen_t l = sizeof(at);
		if (bind(a, (struct sockaddr *)&at, sizeof(at)) < 0 || listen(a, 4) < 0 ||
		    getsockname(a, (struct sockaddr *)&at, &l) < 0)
			tl_fail("listen: %s", strerror(errno));
		b = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(b, (struct sockaddr *)&at, sizeof(at)) < 0)
			tl_fail("connect: %s", strerror(errno));
	} else if (!strcmp(mode, "packet")) {
		if ((a = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP))) < 0)
			tl_fail("AF_PACKET: %s", strerror(errno));
	} else if (!strcmp(mode, "ebpf")) {
		a = bound_udp();
		int prog = load_ebpf_filter();
		if (prog < 0 || setsockopt(a, SOL_SOCKET, SO_ATTACH_BPF, &prog, sizeof(prog)) < 0)
			tl_fail("SO_ATTACH_BPF: %s", strerror(errno));
		close(prog);            /* the socket keeps it */
	} else if (!strcmp(mode, "scm-rights")) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			tl_fail("socketpair: %s", strerror(errno));
		a = sv[0];
		b = sv[1];
		c = bound_udp();
		union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
		struct iovec iov = { "r", 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &c, sizeof(int));
		if (sendmsg(a, &mh, 0) != 1)
			tl_fail("sendmsg: %s", strerror(errno));
	} else if (!strcmp(mode, "mcast-source")) {
		a = bound_udp();
		struct ip_mreq_source m = { .imr_multiaddr.s_addr = inet_addr("232.1.2.3"),
					    .imr_interface.s_addr = htonl(INADDR_LOOPBACK), .imr_sourceaddr.s_addr = htonl(INADDR_LOOPBACK) };
		if (setsockopt(a, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &m, sizeof(m)) < 0)
			tl_fail("IP_ADD_SOURCE_MEMBERSHIP: %s", strerror(errno));
	} else {
		tl_fail("unknown mode %s", mode);
	}

	tl_ready();
	tl_wait_go();

	/* untouched: the state is still there */
	if (!strcmp(mode, "udp-queued"))
		TL_CHECK(recv(a, buf, sizeof(buf), MSG_DONTWAIT) == 6 && !memcmp(buf, "queued", 6), "the queued datagram is gone");
	else if (!strcmp(mode, "outside-tcp"))
		TL_CHECK(send(a, "x", 1, MSG_NOSIGNAL) == 1, "the connection to the outside is broken: %s", strerror(errno));
	else if (!strcmp(mode, "mcast-source")) {
		struct ip_mreqn m = { .imr_multiaddr.s_addr = inet_addr("232.1.2.3"), .imr_ifindex = 1 };
		TL_CHECK(setsockopt(a, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)) < 0 && errno == EADDRINUSE,
			 "the source-specific membership is gone");
	} else if (!strcmp(mode, "tcp-pending"))
		TL_CHECK(accept(a, NULL, NULL) >= 0, "the waiting connection is gone: %s", strerror(errno));
	else if (!strcmp(mode, "ebpf")) {
		socklen_t n = 0;
		TL_CHECK(getsockopt(a, SOL_SOCKET, SO_GET_FILTER, NULL, &n) < 0 && errno == EACCES, "the eBPF filter is gone");
	} else if (!strcmp(mode, "scm-rights")) {
		union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
		TL_CHECK(recvmsg(b, &mh, MSG_DONTWAIT) == 1 && CMSG_FIRSTHDR(&mh) && CMSG_FIRSTHDR(&mh)->cmsg_type == SCM_RIGHTS,
			 "the descriptor in flight is gone");
	}
	return tl_finish();
}
