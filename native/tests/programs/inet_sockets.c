/*
 * Sockets Cryo makes again by their own calls come back as they were:
 *   UDP (IPv4, bound and connected, and IPv6 with IPV6_V6ONLY), UDP-Lite,
 *   a raw ICMP socket with its ICMP_FILTER, a TCP socket bound but not
 *   listening, a fresh TCPv6 socket, a netlink socket with its port and
 *   groups, an unnamed Unix socket, a Unix datagram socket connected to a
 *   bound one; with argv[2] "ping" also ICMP ping sockets (IPv4 and IPv6).
 * Each keeps its address, its peer and the options set on it (buffers and
 * their locks, timeouts, TOS, TTL, keepalive, linger, congestion control,
 * a classic BPF filter ...), compared through getsockopt before and after,
 * and its IPv4 and IPv6 multicast groups; then each still carries data.
 */
#include "testlib.h"
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
#define UDPLITE_SEND_CSCOV 10
#define SOL_NETLINK_ 270
#define LOOPBACK_IFINDEX 1          /* lo */

struct watched {                    /* one getsockopt answer, kept to compare after the restart */
	int fd, level, name;
	const char *what;
	unsigned char value[64];
	socklen_t len;
};
static struct watched watched[128];
static int nr_watched;

struct named {                      /* the socket's name and peer */
	int fd;
	const char *what;
	struct sockaddr_storage self, peer;
	socklen_t self_len, peer_len;
};
static struct named names[32];
static int nr_names;

static void set_int(int fd, int level, int name, int value, const char *what)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)) < 0)
		tl_fail("setsockopt %s: %s", what, strerror(errno));
}

static void watch(int fd, int level, int name, const char *what)
{
	struct watched *w = &watched[nr_watched++];
	*w = (struct watched){ .fd = fd, .level = level, .name = name, .what = what, .len = sizeof(w->value) };
	if (getsockopt(fd, level, name, w->value, &w->len) < 0)
		tl_fail("getsockopt %s on fd %d: %s", what, fd, strerror(errno));
}

static void remember_names(int fd, const char *what)
{
	struct named *n = &names[nr_names++];
	*n = (struct named){ .fd = fd, .what = what, .self_len = sizeof(n->self), .peer_len = sizeof(n->peer) };
	getsockname(fd, (struct sockaddr *)&n->self, &n->self_len);
	if (getpeername(fd, (struct sockaddr *)&n->peer, &n->peer_len) < 0)
		n->peer_len = 0;
}

static void check_all(void)
{
	for (int i = 0; i < nr_watched; i++) {
		struct watched *w = &watched[i], now = { .len = sizeof(now.value) };
		if (getsockopt(w->fd, w->level, w->name, now.value, &now.len) < 0)
			tl_fail("fd %d: getsockopt %s: %s", w->fd, w->what, strerror(errno));
		else if (now.len != w->len || memcmp(now.value, w->value, w->len))
			tl_fail("fd %d: %s differs after the restart (was %d, now %d)", w->fd, w->what,
				*(int *)w->value, *(int *)now.value);
	}
	for (int i = 0; i < nr_names; i++) {
		struct named *n = &names[i], now = { .self_len = sizeof(now.self), .peer_len = sizeof(now.peer) };
		getsockname(n->fd, (struct sockaddr *)&now.self, &now.self_len);
		if (getpeername(n->fd, (struct sockaddr *)&now.peer, &now.peer_len) < 0)
			now.peer_len = 0;
		TL_CHECK(now.self_len == n->self_len && !memcmp(&now.self, &n->self, n->self_len),
			 "%s (fd %d): its own address differs after the restart", n->what, n->fd);
		TL_CHECK(now.peer_len == n->peer_len && !memcmp(&now.peer, &n->peer, n->peer_len),
			 "%s (fd %d): its peer differs after the restart", n->what, n->fd);
	}
}

static struct sockaddr_in loopback4(int port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

static struct sockaddr_in6 loopback6(int port)
{
	return (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
}

static int udp4_pair(int proto, int *server)
{
	int s = socket(AF_INET, SOCK_DGRAM, proto), c = socket(AF_INET, SOCK_DGRAM, proto);
	struct sockaddr_in a = loopback4(0);
	socklen_t l = sizeof(a);
	if (s < 0 || c < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || getsockname(s, (struct sockaddr *)&a, &l) < 0 ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		tl_fail("UDP (protocol %d) pair: %s", proto, strerror(errno));
	*server = s;
	return c;
}

static void carries(int from, int to, const char *what)
{
	char buf[32] = "";
	if (send(from, what, strlen(what), 0) != (ssize_t)strlen(what))
		tl_fail("%s: send after the restart: %s", what, strerror(errno));
	else if (recv(to, buf, sizeof(buf) - 1, 0) != (ssize_t)strlen(what) || strcmp(buf, what))
		tl_fail("%s: nothing received after the restart: %s", what, strerror(errno));
}

static void filter_accept_all(int fd)
{
	struct sock_filter code[] = { BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_RET | BPF_A, 0) };
	struct sock_fprog prog = { 2, code };
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		tl_fail("SO_ATTACH_FILTER: %s", strerror(errno));
}

static int filter_length(int fd)
{
	socklen_t n = 0;
	return getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, NULL, &n) < 0 ? -1 : (int)n;
}

int main(int argc, char **argv)
{
	tl_init(argc, argv);
	int ping = argc > 2 && !strcmp(argv[2], "ping");
	char path[100];

	/* UDP: a connected client with many options, a bound server with a filter */
	int udp_server, udp = udp4_pair(IPPROTO_UDP, &udp_server);
	set_int(udp, SOL_SOCKET, SO_RCVBUF, 70000, "SO_RCVBUF");
	set_int(udp, SOL_SOCKET, SO_SNDBUF, 50000, "SO_SNDBUF");
	set_int(udp, SOL_SOCKET, SO_PRIORITY, 5, "SO_PRIORITY");
	set_int(udp, SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST");
	set_int(udp, SOL_SOCKET, SO_MARK, 7, "SO_MARK");
	set_int(udp, IPPROTO_IP, IP_TOS, 0x10, "IP_TOS");
	set_int(udp, IPPROTO_IP, IP_TTL, 33, "IP_TTL");
	set_int(udp, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
	set_int(udp, IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR");
	set_int(udp, IPPROTO_IP, IP_MULTICAST_TTL, 3, "IP_MULTICAST_TTL");
	set_int(udp, IPPROTO_IP, IP_FREEBIND, 1, "IP_FREEBIND");
	struct timeval tv = { 7, 250000 };
	if (setsockopt(udp, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		tl_fail("SO_RCVTIMEO: %s", strerror(errno));
	if (setsockopt(udp_server, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) < 0)
		tl_fail("SO_BINDTODEVICE: %s", strerror(errno));
	filter_accept_all(udp_server);
	struct ip_mreqn group4 = { .imr_multiaddr.s_addr = inet_addr("239.1.2.3"), .imr_ifindex = (int)LOOPBACK_IFINDEX };
	if (setsockopt(udp_server, IPPROTO_IP, IP_ADD_MEMBERSHIP, &group4, sizeof(group4)) < 0)
		tl_fail("IP_ADD_MEMBERSHIP: %s", strerror(errno));
	int levels[][2] = { { SOL_SOCKET, SO_RCVBUF }, { SOL_SOCKET, SO_SNDBUF }, { SOL_SOCKET, SO_PRIORITY },
			    { SOL_SOCKET, SO_BROADCAST }, { SOL_SOCKET, SO_MARK }, { IPPROTO_IP, IP_TOS },
			    { IPPROTO_IP, IP_TTL }, { IPPROTO_IP, IP_PKTINFO }, { IPPROTO_IP, IP_RECVERR },
			    { IPPROTO_IP, IP_MULTICAST_TTL }, { IPPROTO_IP, IP_FREEBIND }, { SOL_SOCKET, SO_RCVTIMEO } };
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		watch(udp, levels[i][0], levels[i][1], "a UDP option");
	watch(udp_server, SOL_SOCKET, SO_BINDTODEVICE, "SO_BINDTODEVICE");
	watch(udp_server, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF at its default");
	remember_names(udp, "UDP client");
	remember_names(udp_server, "UDP server");

	/* UDPv6, IPv6 only, connected to a server bound to [::1] */
	int udp6_server = socket(AF_INET6, SOCK_DGRAM, 0), udp6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a6 = loopback6(0);
	socklen_t l6 = sizeof(a6);
	set_int(udp6, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
	set_int(udp6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 9, "IPV6_UNICAST_HOPS");
	set_int(udp6, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
	if (bind(udp6_server, (struct sockaddr *)&a6, sizeof(a6)) < 0 || getsockname(udp6_server, (struct sockaddr *)&a6, &l6) < 0 ||
	    connect(udp6, (struct sockaddr *)&a6, sizeof(a6)) < 0)
		tl_fail("UDPv6: %s", strerror(errno));
	struct ipv6_mreq group6 = { .ipv6mr_interface = LOOPBACK_IFINDEX };
	inet_pton(AF_INET6, "ff02::1:3", &group6.ipv6mr_multiaddr);
	if (setsockopt(udp6_server, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &group6, sizeof(group6)) < 0)
		tl_fail("IPV6_ADD_MEMBERSHIP: %s", strerror(errno));
	watch(udp6, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY");
	watch(udp6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS");
	watch(udp6, IPPROTO_IPV6, IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO");
	remember_names(udp6, "UDPv6 client");
	remember_names(udp6_server, "UDPv6 server");

	/* UDP-Lite with a partial checksum coverage */
	int lite_server, lite = udp4_pair(IPPROTO_UDPLITE, &lite_server);
	set_int(lite, IPPROTO_UDPLITE, UDPLITE_SEND_CSCOV, 20, "UDPLITE_SEND_CSCOV");
	watch(lite, IPPROTO_UDPLITE, UDPLITE_SEND_CSCOV, "UDPLITE_SEND_CSCOV");
	remember_names(lite, "UDP-Lite client");
	remember_names(lite_server, "UDP-Lite server");

	/* raw ICMP, every type filtered out (nothing reaches its queue) */
	int raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	struct icmp_filter none = { ~0u };
	if (raw < 0 || setsockopt(raw, SOL_RAW, ICMP_FILTER, &none, sizeof(none)) < 0)
		tl_fail("raw ICMP socket: %s", strerror(errno));
	watch(raw, SOL_RAW, ICMP_FILTER, "ICMP_FILTER");

	/* TCP bound, not listening, with its options; a fresh TCPv6 one */
	int tcp = socket(AF_INET, SOCK_STREAM, 0), tcp6 = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in t4 = loopback4(0);
	set_int(tcp, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	set_int(tcp, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
	set_int(tcp, IPPROTO_TCP, TCP_KEEPIDLE, 77, "TCP_KEEPIDLE");
	set_int(tcp, IPPROTO_TCP, TCP_KEEPINTVL, 11, "TCP_KEEPINTVL");
	set_int(tcp, IPPROTO_TCP, TCP_KEEPCNT, 4, "TCP_KEEPCNT");
	set_int(tcp, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
	set_int(tcp, IPPROTO_TCP, TCP_USER_TIMEOUT, 12345, "TCP_USER_TIMEOUT");
	struct linger lg = { 1, 5 };
	if (setsockopt(tcp, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0 ||
	    setsockopt(tcp, IPPROTO_TCP, TCP_CONGESTION, "reno", 4) < 0 ||
	    bind(tcp, (struct sockaddr *)&t4, sizeof(t4)) < 0)
		tl_fail("TCP: %s", strerror(errno));
	set_int(tcp6, IPPROTO_TCP, TCP_MAXSEG, 1000, "TCP_MAXSEG");
	int tcp_levels[][2] = { { SOL_SOCKET, SO_REUSEADDR }, { SOL_SOCKET, SO_KEEPALIVE }, { IPPROTO_TCP, TCP_KEEPIDLE },
				{ IPPROTO_TCP, TCP_KEEPINTVL }, { IPPROTO_TCP, TCP_KEEPCNT }, { IPPROTO_TCP, TCP_NODELAY },
				{ IPPROTO_TCP, TCP_USER_TIMEOUT }, { SOL_SOCKET, SO_LINGER }, { IPPROTO_TCP, TCP_CONGESTION } };
	for (size_t i = 0; i < sizeof(tcp_levels) / sizeof(tcp_levels[0]); i++)
		watch(tcp, tcp_levels[i][0], tcp_levels[i][1], "a TCP option");
	watch(tcp6, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG");
	remember_names(tcp, "bound TCP socket");
	remember_names(tcp6, "fresh TCPv6 socket");

	/* netlink: bound, in two groups (one past the first 32) */
	int nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	struct sockaddr_nl nla = { .nl_family = AF_NETLINK };
	int g1 = RTNLGRP_MPLS_NETCONF, g2 = RTNLGRP_BRVLAN;
	if (nl < 0 || bind(nl, (struct sockaddr *)&nla, sizeof(nla)) < 0 ||
	    setsockopt(nl, SOL_NETLINK_, NETLINK_ADD_MEMBERSHIP, &g1, sizeof(g1)) < 0 ||
	    setsockopt(nl, SOL_NETLINK_, NETLINK_ADD_MEMBERSHIP, &g2, sizeof(g2)) < 0)
		tl_fail("netlink: %s", strerror(errno));
	set_int(nl, SOL_NETLINK_, NETLINK_EXT_ACK, 1, "NETLINK_EXT_ACK");
	watch(nl, SOL_NETLINK_, NETLINK_LIST_MEMBERSHIPS, "netlink groups");
	watch(nl, SOL_NETLINK_, NETLINK_EXT_ACK, "NETLINK_EXT_ACK");
	remember_names(nl, "netlink socket");

	/* Unix: an unnamed socket with SO_PASSCRED, a datagram socket connected to a bound one */
	int unnamed = socket(AF_UNIX, SOCK_STREAM, 0);
	set_int(unnamed, SOL_SOCKET, SO_PASSCRED, 1, "SO_PASSCRED");
	watch(unnamed, SOL_SOCKET, SO_PASSCRED, "SO_PASSCRED");
	int ubound = socket(AF_UNIX, SOCK_DGRAM, 0), uclient = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un ua = { .sun_family = AF_UNIX };
	snprintf(ua.sun_path, sizeof(ua.sun_path), "%s", tl_work_path(path, sizeof(path), "dgram.sock"));
	if (bind(ubound, (struct sockaddr *)&ua, sizeof(ua)) < 0 || connect(uclient, (struct sockaddr *)&ua, sizeof(ua)) < 0)
		tl_fail("Unix datagram: %s", strerror(errno));
	set_int(uclient, SOL_SOCKET, SO_SNDBUF, 30000, "SO_SNDBUF");
	watch(uclient, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF");
	remember_names(uclient, "Unix datagram client");
	remember_names(ubound, "bound Unix datagram socket");

	/* ICMP ping sockets (net.ipv4.ping_group_range must allow them) */
	int ping4 = -1, ping4_peer = -1, ping6 = -1;
	if (ping) {
		ping4 = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
		ping6 = socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
		ping4_peer = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
		struct sockaddr_in p = loopback4(4242), q = loopback4(0);
		struct sockaddr_in6 p6 = loopback6(4343);
		if (ping4 < 0 || ping6 < 0 || ping4_peer < 0 || bind(ping4, (struct sockaddr *)&p, sizeof(p)) < 0 ||
		    bind(ping6, (struct sockaddr *)&p6, sizeof(p6)) < 0 || connect(ping4_peer, (struct sockaddr *)&q, sizeof(q)) < 0)
			tl_fail("ping sockets: %s", strerror(errno));
		set_int(ping4, IPPROTO_IP, IP_TTL, 17, "IP_TTL");
		watch(ping4, IPPROTO_IP, IP_TTL, "IP_TTL of a ping socket");
		remember_names(ping4, "bound ping socket");
		remember_names(ping6, "bound ping6 socket");
		remember_names(ping4_peer, "connected ping socket");
	}

	tl_ready();
	tl_wait_go();

	check_all();
	/* a second join of a group the socket is in fails with EADDRINUSE */
	TL_CHECK(setsockopt(udp_server, IPPROTO_IP, IP_ADD_MEMBERSHIP, &group4, sizeof(group4)) < 0 && errno == EADDRINUSE,
		 "the UDP server left multicast group 239.1.2.3");
	TL_CHECK(setsockopt(udp6_server, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &group6, sizeof(group6)) < 0 && errno == EADDRINUSE,
		 "the UDPv6 server left multicast group ff02::1:3");
	TL_CHECK(setsockopt(udp, IPPROTO_IP, IP_ADD_MEMBERSHIP, &group4, sizeof(group4)) == 0,
		 "the UDP client is in a multicast group it never joined");
	TL_CHECK(filter_length(udp_server) == 2, "the UDP server's filter is gone (%d instructions)", filter_length(udp_server));
	carries(udp, udp_server, "udp");
	carries(udp6, udp6_server, "udp6");
	carries(lite, lite_server, "udplite");
	carries(uclient, ubound, "unix-dgram");
	int one = 1;
	TL_CHECK(listen(tcp, 4) == 0, "the bound TCP socket cannot listen after the restart: %s", strerror(errno));
	TL_CHECK(setsockopt(tcp6, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == 0, "TCPv6 socket unusable");
	struct { struct nlmsghdr h; struct rtgenmsg g; } req = {
		{ sizeof(req), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0 }, { AF_UNSPEC } };
	char reply[8192];
	TL_CHECK(send(nl, &req, sizeof(req), 0) == sizeof(req) && recv(nl, reply, sizeof(reply), 0) > 0,
		 "the netlink socket does not answer after the restart: %s", strerror(errno));
	if (ping) {
		struct icmphdr echo = { .type = ICMP_ECHO, .un.echo.sequence = htons(1) };
		struct sockaddr_in to = loopback4(0);
		TL_CHECK(sendto(ping4, &echo, sizeof(echo), 0, (struct sockaddr *)&to, sizeof(to)) == sizeof(echo) &&
			 recv(ping4, reply, sizeof(reply), 0) > 0, "no echo reply on the ping socket: %s", strerror(errno));
	}
	return tl_finish();
}
