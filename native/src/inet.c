#include "inet.h"
#include "error.h"
#include "fdtypes.h"
#include "image.h"
#include "resources.h"
#include "rexec.h"
#include "memory.h"
#include "proc.h"
#include "sockets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SOL_UDPLITE
#define SOL_UDPLITE 136
#endif
#ifndef UDPLITE_SEND_CSCOV
#define UDPLITE_SEND_CSCOV 10
#define UDPLITE_RECV_CSCOV 11
#endif
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef SOL_RAW
#define SOL_RAW 255
#endif
#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

#define RES "sockets"
#define FILTER_AT 64                /* where a filter's instructions go in the restore's scratch memory */
#define MAX_OPTION_VALUE (REXEC_SCRATCH_SIZE - FILTER_AT)
#define MAX_FILTER_INSNS (MAX_OPTION_VALUE / (int)sizeof(struct sock_filter))

/* ---- the options Cryo knows ---- */

#define OPT_INT 4
#define OPT_NOT_CONNECTED 0x1       /* what a connection negotiated, not a setting */
#define OPT_ALWAYS        0x2       /* recorded even at its default */
#define OPT_BUFFER        0x4       /* doubled by the kernel: set again with the FORCE option and half of it */
#define OPT_AFTER_BIND    0x8       /* set once the socket is bound */
#define OPT_PSEUDO        0x10      /* not read by getsockopt(level, name): see read_filter, read_memberships */
#define OPT_TWICE         0x20      /* set before bind and again after (bind may need it on for a while) */
#define OPT_NOT_STREAM    0x40      /* multicast: a TCP socket refuses it (an accepted one has the SYN's TTL there) */

struct opt_desc {
	int level, name;
	int size;                   /* bytes getsockopt is given */
	int flags;
	const char *label;
};

/* In the order they are set: buffers after what may resize them, the filter before its lock. */
static const struct opt_desc options[] = {
	{ SOL_SOCKET, SO_REUSEADDR, OPT_INT, OPT_ALWAYS | OPT_TWICE, "SO_REUSEADDR" },
	{ SOL_SOCKET, SO_REUSEPORT, OPT_INT, 0, "SO_REUSEPORT" },
	{ SOL_SOCKET, SO_KEEPALIVE, OPT_INT, 0, "SO_KEEPALIVE" },
	{ SOL_SOCKET, SO_BROADCAST, OPT_INT, 0, "SO_BROADCAST" },
	{ SOL_SOCKET, SO_DONTROUTE, OPT_INT, 0, "SO_DONTROUTE" },
	{ SOL_SOCKET, SO_OOBINLINE, OPT_INT, 0, "SO_OOBINLINE" },
	{ SOL_SOCKET, SO_NO_CHECK, OPT_INT, 0, "SO_NO_CHECK" },
	{ SOL_SOCKET, SO_PRIORITY, OPT_INT, 0, "SO_PRIORITY" },
	{ SOL_SOCKET, SO_LINGER, sizeof(struct linger), 0, "SO_LINGER" },
	{ SOL_SOCKET, SO_PASSCRED, OPT_INT, 0, "SO_PASSCRED" },
	{ SOL_SOCKET, SO_PASSSEC, OPT_INT, 0, "SO_PASSSEC" },
	{ SOL_SOCKET, SO_RCVLOWAT, OPT_INT, 0, "SO_RCVLOWAT" },
	{ SOL_SOCKET, SO_RCVTIMEO_OLD, 16, 0, "SO_RCVTIMEO" },
	{ SOL_SOCKET, SO_SNDTIMEO_OLD, 16, 0, "SO_SNDTIMEO" },
	{ SOL_SOCKET, SO_BINDTODEVICE, 16, 0, "SO_BINDTODEVICE" },
	{ SOL_SOCKET, SO_MARK, OPT_INT, 0, "SO_MARK" },
	{ SOL_SOCKET, SO_TIMESTAMP_OLD, OPT_INT, 0, "SO_TIMESTAMP" },
	{ SOL_SOCKET, SO_TIMESTAMPNS_OLD, OPT_INT, 0, "SO_TIMESTAMPNS" },
	{ SOL_SOCKET, SO_RXQ_OVFL, OPT_INT, 0, "SO_RXQ_OVFL" },
	{ SOL_SOCKET, SO_PEEK_OFF, OPT_INT, 0, "SO_PEEK_OFF" },
	{ SOL_SOCKET, SO_SELECT_ERR_QUEUE, OPT_INT, 0, "SO_SELECT_ERR_QUEUE" },
	{ SOL_SOCKET, SO_BUSY_POLL, OPT_INT, 0, "SO_BUSY_POLL" },
	{ SOL_SOCKET, SO_ZEROCOPY, OPT_INT, 0, "SO_ZEROCOPY" },
	{ IPPROTO_IP, IP_TOS, OPT_INT, 0, "IP_TOS" },
	{ IPPROTO_IP, IP_TTL, OPT_INT, 0, "IP_TTL" },
	{ IPPROTO_IP, IP_HDRINCL, OPT_INT, 0, "IP_HDRINCL" },
	{ IPPROTO_IP, IP_OPTIONS, 40, 0, "IP_OPTIONS" },
	{ IPPROTO_IP, IP_RECVOPTS, OPT_INT, 0, "IP_RECVOPTS" },
	{ IPPROTO_IP, IP_RETOPTS, OPT_INT, 0, "IP_RETOPTS" },
	{ IPPROTO_IP, IP_PKTINFO, OPT_INT, 0, "IP_PKTINFO" },
	{ IPPROTO_IP, IP_MTU_DISCOVER, OPT_INT, 0, "IP_MTU_DISCOVER" },
	{ IPPROTO_IP, IP_RECVERR, OPT_INT, 0, "IP_RECVERR" },
	{ IPPROTO_IP, IP_RECVTTL, OPT_INT, 0, "IP_RECVTTL" },
	{ IPPROTO_IP, IP_RECVTOS, OPT_INT, 0, "IP_RECVTOS" },
	{ IPPROTO_IP, IP_FREEBIND, OPT_INT, 0, "IP_FREEBIND" },
	{ IPPROTO_IP, IP_TRANSPARENT, OPT_INT, 0, "IP_TRANSPARENT" },
	{ IPPROTO_IP, IP_RECVORIGDSTADDR, OPT_INT, 0, "IP_RECVORIGDSTADDR" },
	{ IPPROTO_IP, IP_MINTTL, OPT_INT, 0, "IP_MINTTL" },
	{ IPPROTO_IP, IP_NODEFRAG, OPT_INT, 0, "IP_NODEFRAG" },
	{ IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, OPT_INT, 0, "IP_BIND_ADDRESS_NO_PORT" },
	{ IPPROTO_IP, IP_MULTICAST_IF, 4, OPT_NOT_STREAM, "IP_MULTICAST_IF" },
	{ IPPROTO_IP, IP_MULTICAST_TTL, OPT_INT, OPT_NOT_STREAM, "IP_MULTICAST_TTL" },
	{ IPPROTO_IP, IP_MULTICAST_LOOP, OPT_INT, OPT_NOT_STREAM, "IP_MULTICAST_LOOP" },
	{ IPPROTO_IP, IP_MULTICAST_ALL, OPT_INT, OPT_NOT_STREAM, "IP_MULTICAST_ALL" },
	{ IPPROTO_IP, IP_ADD_MEMBERSHIP, sizeof(struct ip_mreqn), OPT_PSEUDO | OPT_AFTER_BIND, "an IP multicast group" },
	{ IPPROTO_IPV6, IPV6_V6ONLY, OPT_INT, 0, "IPV6_V6ONLY" },
	{ IPPROTO_IPV6, IPV6_UNICAST_HOPS, OPT_INT, 0, "IPV6_UNICAST_HOPS" },
	{ IPPROTO_IPV6, IPV6_MULTICAST_IF, OPT_INT, OPT_NOT_STREAM, "IPV6_MULTICAST_IF" },
	{ IPPROTO_IPV6, IPV6_MULTICAST_HOPS, OPT_INT, OPT_NOT_STREAM, "IPV6_MULTICAST_HOPS" },
	{ IPPROTO_IPV6, IPV6_MULTICAST_LOOP, OPT_INT, OPT_NOT_STREAM, "IPV6_MULTICAST_LOOP" },
	{ IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, sizeof(struct ipv6_mreq), OPT_PSEUDO | OPT_AFTER_BIND, "an IPv6 multicast group" },
	{ IPPROTO_IPV6, IPV6_MTU_DISCOVER, OPT_INT, 0, "IPV6_MTU_DISCOVER" },
	{ IPPROTO_IPV6, IPV6_RECVERR, OPT_INT, 0, "IPV6_RECVERR" },
	{ IPPROTO_IPV6, IPV6_RECVPKTINFO, OPT_INT, 0, "IPV6_RECVPKTINFO" },
	{ IPPROTO_IPV6, IPV6_RECVHOPLIMIT, OPT_INT, 0, "IPV6_RECVHOPLIMIT" },
	{ IPPROTO_IPV6, IPV6_RECVTCLASS, OPT_INT, 0, "IPV6_RECVTCLASS" },
	{ IPPROTO_IPV6, IPV6_TCLASS, OPT_INT, 0, "IPV6_TCLASS" },
	{ IPPROTO_IPV6, IPV6_DONTFRAG, OPT_INT, 0, "IPV6_DONTFRAG" },
	{ IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, OPT_INT, 0, "IPV6_AUTOFLOWLABEL" },
	{ IPPROTO_IPV6, IPV6_MINHOPCOUNT, OPT_INT, 0, "IPV6_MINHOPCOUNT" },
	{ IPPROTO_IPV6, IPV6_RECVORIGDSTADDR, OPT_INT, 0, "IPV6_RECVORIGDSTADDR" },
	{ IPPROTO_IPV6, IPV6_TRANSPARENT, OPT_INT, 0, "IPV6_TRANSPARENT" },
	{ IPPROTO_IPV6, IPV6_FREEBIND, OPT_INT, 0, "IPV6_FREEBIND" },
	{ IPPROTO_IPV6, IPV6_CHECKSUM, OPT_INT, 0, "IPV6_CHECKSUM" },
	{ IPPROTO_TCP, TCP_NODELAY, OPT_INT, 0, "TCP_NODELAY" },
	{ IPPROTO_TCP, TCP_MAXSEG, OPT_INT, OPT_NOT_CONNECTED, "TCP_MAXSEG" },
	{ IPPROTO_TCP, TCP_CORK, OPT_INT, 0, "TCP_CORK" },
	{ IPPROTO_TCP, TCP_KEEPIDLE, OPT_INT, 0, "TCP_KEEPIDLE" },
	{ IPPROTO_TCP, TCP_KEEPINTVL, OPT_INT, 0, "TCP_KEEPINTVL" },
	{ IPPROTO_TCP, TCP_KEEPCNT, OPT_INT, 0, "TCP_KEEPCNT" },
	{ IPPROTO_TCP, TCP_SYNCNT, OPT_INT, 0, "TCP_SYNCNT" },
	{ IPPROTO_TCP, TCP_LINGER2, OPT_INT, 0, "TCP_LINGER2" },
	{ IPPROTO_TCP, TCP_DEFER_ACCEPT, OPT_INT, 0, "TCP_DEFER_ACCEPT" },
	{ IPPROTO_TCP, TCP_WINDOW_CLAMP, OPT_INT, OPT_NOT_CONNECTED, "TCP_WINDOW_CLAMP" },
	{ IPPROTO_TCP, TCP_CONGESTION, 16, 0, "TCP_CONGESTION" },
	{ IPPROTO_TCP, TCP_THIN_LINEAR_TIMEOUTS, OPT_INT, 0, "TCP_THIN_LINEAR_TIMEOUTS" },
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, OPT_INT, 0, "TCP_USER_TIMEOUT" },
	{ IPPROTO_TCP, TCP_FASTOPEN, OPT_INT, 0, "TCP_FASTOPEN" },
	{ IPPROTO_TCP, TCP_NOTSENT_LOWAT, OPT_INT, 0, "TCP_NOTSENT_LOWAT" },
	{ IPPROTO_TCP, TCP_FASTOPEN_CONNECT, OPT_INT, 0, "TCP_FASTOPEN_CONNECT" },
	{ IPPROTO_UDP, UDP_CORK, OPT_INT, 0, "UDP_CORK" },
	{ IPPROTO_UDP, UDP_SEGMENT, OPT_INT, 0, "UDP_SEGMENT" },
	{ IPPROTO_UDP, UDP_GRO, OPT_INT, 0, "UDP_GRO" },
	{ SOL_UDPLITE, UDPLITE_SEND_CSCOV, OPT_INT, 0, "UDPLITE_SEND_CSCOV" },
	{ SOL_UDPLITE, UDPLITE_RECV_CSCOV, OPT_INT, 0, "UDPLITE_RECV_CSCOV" },
	{ SOL_RAW, ICMP_FILTER, sizeof(struct icmp_filter), 0, "ICMP_FILTER" },
	{ IPPROTO_ICMPV6, ICMPV6_FILTER, sizeof(struct icmp6_filter), 0, "ICMPV6_FILTER" },
	{ SOL_NETLINK, NETLINK_PKTINFO, OPT_INT, 0, "NETLINK_PKTINFO" },
	{ SOL_NETLINK, NETLINK_BROADCAST_ERROR, OPT_INT, 0, "NETLINK_BROADCAST_ERROR" },
	{ SOL_NETLINK, NETLINK_NO_ENOBUFS, OPT_INT, 0, "NETLINK_NO_ENOBUFS" },
	{ SOL_NETLINK, NETLINK_CAP_ACK, OPT_INT, 0, "NETLINK_CAP_ACK" },
	{ SOL_NETLINK, NETLINK_EXT_ACK, OPT_INT, 0, "NETLINK_EXT_ACK" },
	{ SOL_NETLINK, NETLINK_GET_STRICT_CHK, OPT_INT, 0, "NETLINK_GET_STRICT_CHK" },
	{ SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, 4, OPT_PSEUDO | OPT_AFTER_BIND, "a netlink group" },
	{ SOL_SOCKET, SO_RCVBUF, OPT_INT, OPT_BUFFER, "SO_RCVBUF" },
	{ SOL_SOCKET, SO_SNDBUF, OPT_INT, OPT_BUFFER, "SO_SNDBUF" },
	{ SOL_SOCKET, SO_ATTACH_FILTER, 0, OPT_PSEUDO, "a BPF filter" },
	{ SOL_SOCKET, SO_LOCK_FILTER, OPT_INT, 0, "SO_LOCK_FILTER" },
};
#define NR_OPTIONS ((int)(sizeof(options) / sizeof(options[0])))

static const struct opt_desc *find_option(int level, int name)
{
	for (int i = 0; i < NR_OPTIONS; i++)
		if (options[i].level == level && options[i].name == name)
			return &options[i];
	return NULL;
}

/* ---- encoding ---- */

struct opt_buf {
	char *data;
	size_t len, cap;
};

static int put_option(struct opt_buf *b, int level, int name, const void *value, uint32_t len)
{
	size_t need = sizeof(struct cryo_sockopt) + ((len + 7) & ~7u);
	if (b->len + need > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 512;
		while (cap < b->len + need)
			cap *= 2;
		char *g = realloc(b->data, cap);
		if (!g)
			return -1;
		b->data = g;
		b->cap = cap;
	}
	struct cryo_sockopt o = { .level = level, .name = name, .len = len };
	memset(b->data + b->len, 0, need);
	memcpy(b->data + b->len, &o, sizeof(o));
	memcpy(b->data + b->len + sizeof(o), value, len);
	b->len += need;
	return 0;
}

/* Walk an encoded list: the next option at *at, or 0 at the end, -1 if damaged. */
static int next_option(const char *opts, size_t len, size_t *at, struct cryo_sockopt *o, const char **value)
{
	if (*at == len)
		return 0;
	if (len - *at < sizeof(*o))
		return -1;
	memcpy(o, opts + *at, sizeof(*o));
	size_t padded = ((size_t)o->len + 7) & ~(size_t)7;
	if (o->len > MAX_OPTION_VALUE || padded > len - *at - sizeof(*o))
		return -1;
	*value = opts + *at + sizeof(*o);
	*at += sizeof(*o) + padded;
	return 1;
}

/* ---- reading options at checkpoint time ---- */

static int read_option(int sk, const struct opt_desc *d, unsigned char *v, socklen_t *len)
{
	memset(v, 0, (size_t)d->size);
	*len = (socklen_t)d->size;
	return getsockopt(sk, d->level, d->name, v, len);
}

/* A classic filter comes back; an eBPF one (SO_ATTACH_BPF) cannot be read back. */
static int read_filter(int sk, struct opt_buf *b, pid_t pid, int fd, struct cryo_error *e)
{
	socklen_t n = 0;
	if (getsockopt(sk, SOL_SOCKET, SO_GET_FILTER, NULL, &n) < 0)
		return errno == EACCES
			? cryo_fail(e, pid, RES, "getsockopt(SO_GET_FILTER)", ENOTSUP,
				    "fd %d of process %d: a socket with an eBPF filter attached: cannot be restored", fd, pid)
			: 0;
	if (n == 0)
		return 0;
	if ((int)n > MAX_FILTER_INSNS)
		return cryo_fail(e, pid, RES, "getsockopt(SO_GET_FILTER)", E2BIG,
				 "fd %d of process %d: a socket filter of %u instructions (at most %d): cannot be restored",
				 fd, pid, n, MAX_FILTER_INSNS);
	struct sock_filter insns[MAX_FILTER_INSNS];
	if (getsockopt(sk, SOL_SOCKET, SO_GET_FILTER, insns, &n) < 0)
		return cryo_fail_errno(e, pid, RES, "getsockopt(SO_GET_FILTER)", "cannot read the filter of fd %d of process %d", fd, pid);
	if (put_option(b, SOL_SOCKET, SO_ATTACH_FILTER, insns, (uint32_t)(n * sizeof(insns[0]))))
		return cryo_fail(e, pid, RES, "malloc", ENOMEM, "out of memory");
	return 0;
}

/* The multicast groups of a netlink socket, all of them (nl_groups has only the first 32). */
static int read_memberships(int sk, struct opt_buf *b, pid_t pid, int fd, struct cryo_error *e)
{
	uint32_t groups[64] = {0};
	socklen_t len = sizeof(groups);
	if (getsockopt(sk, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, groups, &len) < 0)
		return 0;                   /* not a netlink socket */
	if (len > sizeof(groups))
		return cryo_fail(e, pid, RES, "getsockopt(NETLINK_LIST_MEMBERSHIPS)", E2BIG,
				 "fd %d of process %d: a netlink socket in too many groups", fd, pid);
	for (uint32_t g = 0; g < len * 8; g++)
		if (groups[g / 32] & (1u << (g % 32))) {
			uint32_t group = g + 1;
			if (put_option(b, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)))
				return cryo_fail(e, pid, RES, "malloc", ENOMEM, "out of memory");
		}
	return 0;
}

/* Is sk in multicast group mreq (IP_ADD_MEMBERSHIP or IPV6_ADD_MEMBERSHIP)?
 * Linux cannot list a socket's groups, so each is tried: EADDRINUSE says it
 * is; a join that succeeds is left at once.  1, 0, or -1 for a membership
 * with a source filter (which would come back without it). */
static int in_group(int sk, int level, int join, int leave, const void *mreq, socklen_t len, uint32_t ifindex,
		    const struct sockaddr_storage *group)
{
	if (setsockopt(sk, level, join, mreq, len) == 0) {
		setsockopt(sk, level, leave, mreq, len);
		return 0;
	}
	if (errno != EADDRINUSE)
		return 0;
	struct group_filter gf = { .gf_interface = ifindex, .gf_group = *group, .gf_fmode = MCAST_EXCLUDE };
	socklen_t gl = sizeof(gf);
	if (getsockopt(sk, level, MCAST_MSFILTER, &gf, &gl) == 0 && (gf.gf_fmode != MCAST_EXCLUDE || gf.gf_numsrc))
		return -1;
	return 1;
}

static int put_group(struct opt_buf *b, int rc, int level, int name, const void *mreq, uint32_t len, pid_t pid, int fd,
		     struct cryo_error *e)
{
	if (rc < 0)
		return cryo_fail(e, pid, RES, "getsockopt(MCAST_MSFILTER)", ENOTSUP,
				 "fd %d of process %d: a socket in a source-filtered multicast group: cannot be restored", fd, pid);
	if (rc && put_option(b, level, name, mreq, len))
		return cryo_fail(e, pid, RES, "malloc", ENOMEM, "out of memory");
	return 0;
}

/* The host's IPv4 groups (/proc/net/igmp: a device line "IDX\tNAME : ...", then
 * one "\t\t\tGROUP USERS ..." line per group, the address as the kernel stores it). */
static int read_groups4(int sk, struct opt_buf *b, pid_t pid, int fd, struct cryo_error *e)
{
	FILE *in = fopen("/proc/net/igmp", "re");
	char line[256];
	int ifindex = 0, rc = 0;
	if (!in)
		return 0;
	while (!rc && fgets(line, sizeof(line), in)) {
		unsigned group;
		if (line[0] >= '0' && line[0] <= '9')
			ifindex = atoi(line);
		else if (line[0] == '\t' && sscanf(line, " %x", &group) == 1 && ifindex > 0) {
			struct ip_mreqn m = { .imr_multiaddr.s_addr = group, .imr_ifindex = ifindex };
			struct sockaddr_storage g = {0};
			((struct sockaddr_in *)&g)->sin_family = AF_INET;
			((struct sockaddr_in *)&g)->sin_addr.s_addr = group;
			rc = put_group(b, in_group(sk, IPPROTO_IP, IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, &m, sizeof(m),
						   (uint32_t)ifindex, &g), IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m), pid, fd, e);
		}
	}
	fclose(in);
	return rc;
}

/* The host's IPv6 groups (/proc/net/igmp6: "IDX NAME ADDRESS-IN-HEX USERS ..."). */
static int read_groups6(int sk, struct opt_buf *b, pid_t pid, int fd, struct cryo_error *e)
{
	FILE *in = fopen("/proc/net/igmp6", "re");
	char line[256], hex[33];
	int ifindex, rc = 0;
	if (!in)
		return 0;
	while (!rc && fgets(line, sizeof(line), in)) {
		struct ipv6_mreq m = {0};
		if (sscanf(line, "%d %*s %32s", &ifindex, hex) != 2 || strlen(hex) != 32)
			continue;
		for (int i = 0; i < 16; i++) {
			unsigned byte;
			sscanf(hex + 2 * i, "%2x", &byte);
			m.ipv6mr_multiaddr.s6_addr[i] = (uint8_t)byte;
		}
		m.ipv6mr_interface = (unsigned)ifindex;
		struct sockaddr_storage g = {0};
		((struct sockaddr_in6 *)&g)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&g)->sin6_addr = m.ipv6mr_multiaddr;
		rc = put_group(b, in_group(sk, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, IPV6_DROP_MEMBERSHIP, &m, sizeof(m),
					   (uint32_t)ifindex, &g), IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &m, sizeof(m), pid, fd, e);
	}
	fclose(in);
	return rc;
}

/* A fresh socket like sk, to tell its defaults from what was set. */
static int fresh_like(int sk)
{
	int domain, type, protocol;
	socklen_t l = sizeof(int);
	if (getsockopt(sk, SOL_SOCKET, SO_DOMAIN, &domain, &l) < 0 ||
	    (l = sizeof(int), getsockopt(sk, SOL_SOCKET, SO_TYPE, &type, &l)) < 0 ||
	    (l = sizeof(int), getsockopt(sk, SOL_SOCKET, SO_PROTOCOL, &protocol, &l)) < 0)
		return -1;
	return socket(domain, type | SOCK_CLOEXEC, protocol);
}

int inet_read_options(int sk, pid_t pid, int fd, int connected_tcp, char **out, size_t *len, struct cryo_error *e)
{
	struct opt_buf b = {0};
	int fresh = fresh_like(sk);
	if (fresh < 0)
		return cryo_fail_errno(e, pid, RES, "socket", "cannot make a socket like fd %d of process %d to compare its options",
				       fd, pid);
	int rc = 0, type = 0, domain = 0;
	socklen_t tl = sizeof(type), dl = sizeof(domain);
	int stream = getsockopt(sk, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM;
	getsockopt(sk, SOL_SOCKET, SO_DOMAIN, &domain, &dl);
	for (int i = 0; i < NR_OPTIONS && !rc; i++) {
		const struct opt_desc *d = &options[i];
		unsigned char v[64], w[64];
		socklen_t vl, wl;
		if (d->level == SOL_SOCKET && d->name == SO_ATTACH_FILTER) {
			rc = read_filter(sk, &b, pid, fd, e);
			continue;
		}
		if (d->level == SOL_NETLINK && d->name == NETLINK_ADD_MEMBERSHIP) {
			rc = read_memberships(sk, &b, pid, fd, e);
			continue;
		}
		if (d->flags & OPT_PSEUDO) {        /* IP and IPv6 multicast groups, for datagram sockets */
			if (!stream && d->level == IPPROTO_IP && domain == AF_INET)
				rc = read_groups4(sk, &b, pid, fd, e);
			else if (!stream && d->level == IPPROTO_IPV6 && domain == AF_INET6)
				rc = read_groups6(sk, &b, pid, fd, e);
			continue;
		}
		if ((connected_tcp && (d->flags & OPT_NOT_CONNECTED)) || (stream && (d->flags & OPT_NOT_STREAM)) ||
		    read_option(sk, d, v, &vl) < 0)
			continue;
		if (!(d->flags & OPT_ALWAYS) && read_option(fresh, d, w, &wl) == 0 && vl == wl && !memcmp(v, w, vl))
			continue;
		if (put_option(&b, d->level, d->name, v, vl))
			rc = cryo_fail(e, pid, RES, "malloc", ENOMEM, "out of memory");
	}
	close(fresh);
	if (rc) {
		free(b.data);
		return -1;
	}
	*out = b.data;
	*len = b.len;
	return 0;
}

int inet_check_options(const char *opts, size_t len, pid_t pid, int fd, struct cryo_error *e)
{
	struct cryo_sockopt o;
	const char *v;
	size_t at = 0;
	int r;
	while ((r = next_option(opts, len, &at, &o, &v)) > 0) {
		const struct opt_desc *d = find_option(o.level, o.name);
		int size_ok = !d ? 0
			    : d->name == SO_ATTACH_FILTER && d->level == SOL_SOCKET
			      ? o.len && o.len % sizeof(struct sock_filter) == 0
			      : o.len <= (uint32_t)d->size;
		if (!size_ok)
			return cryo_fail(e, pid, "context file", "", EINVAL,
					 "context file is corrupt: socket option %d/%d of fd %d", o.level, o.name, fd);
	}
	if (r < 0)
		return cryo_fail(e, pid, "context file", "", EINVAL, "context file is corrupt: the socket options of fd %d", fd);
	return 0;
}

/* ---- setting options at restart ---- */

/* setsockopt, the value through the executor's scratch memory; *r its result. */
static int set_option(struct rexec *x, int fd, int level, int name, const void *value, size_t len, long *r,
		      struct cryo_error *e)
{
	uint64_t addr;
	return rexec_put(x, 0, value, len, &addr, e) ||
	       rexec_syscall(x, SYS_setsockopt, fd, level, name, (long)addr, (long)len, 0, r, e);
}

static int attach_filter(struct rexec *x, int fd, const char *insns, uint32_t len, long *r, struct cryo_error *e)
{
	struct sock_fprog prog = { .len = (unsigned short)(len / sizeof(struct sock_filter)) };
	uint64_t at;
	if (rexec_put(x, FILTER_AT, insns, len, &at, e))
		return -1;
	prog.filter = (struct sock_filter *)(uintptr_t)at;
	return set_option(x, fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog), r, e);
}

/* A buffer size as getsockopt reported it (doubled): half of it again, past
 * the sysctl limits with the FORCE variant where allowed. */
static int set_buffer(struct rexec *x, int fd, int name, const char *value, long *r, struct cryo_error *e)
{
	int doubled, half;
	memcpy(&doubled, value, sizeof(doubled));
	half = doubled / 2;
	if (set_option(x, fd, SOL_SOCKET, name == SO_RCVBUF ? SO_RCVBUFFORCE : SO_SNDBUFFORCE, &half, sizeof(half), r, e))
		return -1;
	if (*r == -EPERM && set_option(x, fd, SOL_SOCKET, name, &half, sizeof(half), r, e))
		return -1;
	return 0;
}

int inet_apply_options(struct rexec *x, int fd, const char *opts, size_t len, int after_bind, pid_t pid, int shown_fd,
		       struct cryo_error *e)
{
	struct cryo_sockopt o;
	const char *v;
	size_t at = 0;
	while (next_option(opts, len, &at, &o, &v) > 0) {
		const struct opt_desc *d = find_option(o.level, o.name);
		long r = 0;
		if (!d || (!(d->flags & OPT_TWICE) && !!(d->flags & OPT_AFTER_BIND) != !!after_bind))
			continue;
		int failed = d->flags & OPT_BUFFER ? set_buffer(x, fd, o.name, v, &r, e)
			   : o.level == SOL_SOCKET && o.name == SO_ATTACH_FILTER ? attach_filter(x, fd, v, o.len, &r, e)
			   : set_option(x, fd, o.level, o.name, v, o.len, &r, e);
		if (failed)
			return -1;
		if (r < 0)
			return cryo_fail(e, pid, RES, "setsockopt", (int)-r, "cannot give fd %d of process %d its %s again",
					 shown_fd, pid, d->label);
	}
	return 0;
}

int inet_capture_options(pid_t pid, struct fd_rec *f, struct cryo_error *e)
{
	int sk = proc_dup_fd(pid, f->r.fd, e);
	if (sk < 0)
		return -1;
	char *opts;
	size_t len;
	int rc = inet_read_options(sk, pid, f->r.fd, 0, &opts, &len, e);
	close(sk);
	if (rc)
		return -1;
	char *grown = realloc(f->detail, f->detail_len + len + 1);
	if (!grown) {
		free(opts);
		return cryo_fail(e, pid, RES, "malloc", ENOMEM, "out of memory");
	}
	memcpy(grown + f->detail_len, opts, len);
	f->detail = grown;
	f->detail_len += (uint32_t)len;
	free(opts);
	return 0;
}

/* ---- what a socket is, at checkpoint time ---- */

/* An address for messages: 127.0.0.1:5000, [::1]:5000, a Unix name, a netlink port. */
static const char *shown_address(const void *addr, socklen_t len, char *out, size_t size)
{
	const struct sockaddr *a = addr;
	char host[INET6_ADDRSTRLEN] = "?";
	if (len >= sizeof(struct sockaddr_in) && a->sa_family == AF_INET) {
		const struct sockaddr_in *in = addr;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(out, size, "%s:%u", host, ntohs(in->sin_port));
	} else if (len >= sizeof(struct sockaddr_in6) && a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = addr;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(out, size, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else if (a->sa_family == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path)) {
		const struct sockaddr_un *un = addr;
		int n = (int)(len - offsetof(struct sockaddr_un, sun_path)), abstract = un->sun_path[0] == 0;
		snprintf(out, size, "%s%.*s", abstract ? "@" : "", n - abstract, un->sun_path + abstract);
		for (char *c = out; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
	} else if (a->sa_family == AF_NETLINK && len >= sizeof(struct sockaddr_nl)) {
		snprintf(out, size, "port %u", ((const struct sockaddr_nl *)addr)->nl_pid);
	} else {
		snprintf(out, size, "(unnamed)");
	}
	return out;
}

static const char *protocol_name(int domain, int type, int protocol)
{
	if (domain == AF_NETLINK)
		return "netlink";
	if (domain == AF_PACKET)
		return "packet";
	if (domain != AF_INET && domain != AF_INET6 && domain != AF_UNIX)
		return "unknown family of";
	if (domain == AF_UNIX)
		return type == SOCK_DGRAM ? "Unix datagram" : type == SOCK_SEQPACKET ? "Unix seqpacket" : "Unix stream";
	if (type == SOCK_RAW)
		return domain == AF_INET6 ? "raw IPv6" : "raw IPv4";
	switch (protocol) {
	case IPPROTO_TCP: return domain == AF_INET6 ? "TCPv6" : "TCP";
	case IPPROTO_UDP: return domain == AF_INET6 ? "UDPv6" : "UDP";
	case IPPROTO_UDPLITE: return domain == AF_INET6 ? "UDP-Lite v6" : "UDP-Lite";
	case IPPROTO_ICMP: return "ICMP (ping)";
	case IPPROTO_ICMPV6: return "ICMPv6 (ping)";
	default: return "IP";
	}
}

static int any_address(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr);
	return 1;
}

static int port_of(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)a)->sin_port)
	       : a->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)a)->sin6_port) : 0;
}

struct sock_view {
	struct cryo_fd_net_socket d;
	struct sockaddr_storage local, peer;
	socklen_t local_len, peer_len;
	int connected;              /* getpeername answered */
	char what[400];             /* "UDP socket 127.0.0.1:5000 -> 127.0.0.1:6000" */
};

static int read_view(int sk, struct sock_view *v)
{
	socklen_t l = sizeof(int);
	memset(v, 0, sizeof(*v));
	if (getsockopt(sk, SOL_SOCKET, SO_DOMAIN, &v->d.domain, &l) < 0 ||
	    (l = sizeof(int), getsockopt(sk, SOL_SOCKET, SO_TYPE, &v->d.type, &l)) < 0 ||
	    (l = sizeof(int), getsockopt(sk, SOL_SOCKET, SO_PROTOCOL, &v->d.protocol, &l)) < 0)
		return -1;
	v->local_len = sizeof(v->local);
	v->peer_len = sizeof(v->peer);
	if (getsockname(sk, (struct sockaddr *)&v->local, &v->local_len) < 0)
		v->local_len = 0;
	v->connected = getpeername(sk, (struct sockaddr *)&v->peer, &v->peer_len) == 0;
	if (!v->connected)
		v->peer_len = 0;
	char a[160], b[160];
	shown_address(&v->local, v->local_len, a, sizeof(a));
	shown_address(&v->peer, v->peer_len, b, sizeof(b));
	snprintf(v->what, sizeof(v->what), "%s socket %s%s%s", protocol_name(v->d.domain, v->d.type, v->d.protocol),
		 a, v->connected ? " -> " : "", v->connected ? b : "");
	return 0;
}

static int refuse(pid_t pid, int fd, const struct sock_view *v, const char *why, struct cryo_error *e)
{
	return cryo_fail(e, pid, RES, "", ENOTSUP, "fd %d of process %d: %s %s: cannot be restored", fd, pid, v->what, why);
}

static const char *tcp_state_name(int state)
{
	switch (state) {
	case TCP_ESTABLISHED: return "connected to a process outside the checkpoint (TCP_REPAIR of such a peer is not supported)";
	case TCP_SYN_SENT: case TCP_SYN_RECV: return "still connecting";
	case TCP_LISTEN: return "listening";
	case TCP_CLOSE_WAIT: return "whose peer closed the connection";
	default: return "being closed";
	}
}

/* IPv4 and IPv6: what comes back (bound, connected), or why not. */
static int describe_inet(int sk, pid_t pid, int fd, struct sock_view *v, struct cryo_error *e)
{
	int raw = v->d.type == SOCK_RAW;
	if (v->d.type == SOCK_STREAM && v->d.protocol == IPPROTO_TCP) {
		struct tcp_info info = {0};
		socklen_t l = sizeof(info);
		if (getsockopt(sk, IPPROTO_TCP, TCP_INFO, &info, &l) < 0)
			return cryo_fail_errno(e, pid, RES, "getsockopt(TCP_INFO)", "cannot read socket fd %d of process %d", fd, pid);
		if (info.tcpi_state != TCP_CLOSE)
			return refuse(pid, fd, v, tcp_state_name(info.tcpi_state), e);
		v->connected = 0;
	} else if (!raw && !(v->d.type == SOCK_DGRAM &&
			     (v->d.protocol == IPPROTO_UDP || v->d.protocol == IPPROTO_UDPLITE ||
			      v->d.protocol == IPPROTO_ICMP || v->d.protocol == IPPROTO_ICMPV6))) {
		return refuse(pid, fd, v, "(a protocol Cryo does not know)", e);
	}
	if (v->local_len && (!any_address(&v->local) || (!raw && port_of(&v->local))))
		v->d.flags |= CRYO_NET_BOUND;
	if (v->connected)
		v->d.flags |= CRYO_NET_CONNECTED;
	return 0;
}

static int describe_netlink(int sk, pid_t pid, int fd, struct sock_view *v, struct cryo_error *e)
{
	const struct sockaddr_nl *self = (const struct sockaddr_nl *)&v->local;
	const struct sockaddr_nl *peer = (const struct sockaddr_nl *)&v->peer;
	if (v->local_len >= sizeof(*self) && self->nl_pid)
		v->d.flags |= CRYO_NET_BOUND;
	v->connected = v->peer_len >= sizeof(*peer) && (peer->nl_pid || peer->nl_groups);
	if (v->connected)
		v->d.flags |= CRYO_NET_CONNECTED;
	/* bound to its port alone: the groups come back one by one, all of them */
	((struct sockaddr_nl *)&v->local)->nl_groups = 0;
	return 0;
}

/* Unix sockets that reach here have no name of their own bound (sockets.c
 * took those) and no peer in the tree: unconnected ones come back fresh, a
 * datagram socket connected to a named one connects to that name again, a
 * stream connection to the outside comes back unconnected (1). */
static int describe_unix(int sk, pid_t pid, int fd, struct sock_view *v, struct cryo_error *e)
{
	if (!v->connected)
		return v->local_len > offsetof(struct sockaddr_un, sun_path)
			? refuse(pid, fd, v, "(bound, in a state Cryo does not know)", e) : 0;
	if (v->d.type != SOCK_DGRAM)
		return 1;
	if (v->local_len > offsetof(struct sockaddr_un, sun_path))
		return refuse(pid, fd, v, "(a datagram socket with a name of its own, connected)", e);
	if (v->peer_len <= offsetof(struct sockaddr_un, sun_path))
		return refuse(pid, fd, v, "connected to an unnamed socket outside the checkpoint", e);
	v->d.flags |= CRYO_NET_CONNECTED;
	return 0;
}

/* Data waiting to be read would be lost: refused (a checkpoint that fails must not have taken it). */
static int refuse_if_queued(int sk, pid_t pid, int fd, const struct sock_view *v, struct cryo_error *e)
{
	char c;
	if (v->d.type == SOCK_STREAM && v->d.domain != AF_UNIX)
		return 0;
	if (recv(sk, &c, 1, MSG_PEEK | MSG_DONTWAIT) >= 0)
		return refuse(pid, fd, v, "with data queued to read", e);
	return 0;
}

/* One socket, one record: another process of the tree holding the same socket
 * (not inherited from its parent: passed over a Unix socket) would get a second one. */
static int refuse_if_shared(const struct tree *t, int k, const struct fd_rec *f, const struct sock_view *v,
			    struct cryo_error *e)
{
	for (int j = 0; j < t->nr; j++)
		for (int i = 0; j != k && i < t->procs[j].nr_fds; i++) {
			const struct fd_rec *g = &t->procs[j].fds[i];
			if (g->r.kind == CRYO_FD_NET_SOCKET && g->r.file.ino == f->r.file.ino)
				return refuse(t->procs[k].proc.pid, f->r.fd, v, "also held by another process of the checkpoint", e);
		}
	return 0;
}

static int set_detail(pid_t pid, struct fd_rec *f, const struct sock_view *v, const char *opts, size_t len,
		      struct cryo_error *e)
{
	struct cryo_fd_net_socket d = v->d;
	d.local_len = (v->d.flags & CRYO_NET_BOUND) ? (uint32_t)v->local_len : 0;
	d.peer_len = (v->d.flags & CRYO_NET_CONNECTED) ? (uint32_t)v->peer_len : 0;
	memcpy(d.local, &v->local, sizeof(d.local));
	memcpy(d.peer, &v->peer, sizeof(d.peer));
	char *detail = malloc(sizeof(d) + len + 1);
	if (!detail)
		return cryo_fail(e, pid, RES, "malloc", ENOMEM, "out of memory");
	memcpy(detail, &d, sizeof(d));
	memcpy(detail + sizeof(d), opts, len);
	free(f->detail);
	f->detail = detail;
	f->detail_len = (uint32_t)(sizeof(d) + len);
	f->r.kind = CRYO_FD_NET_SOCKET;
	return 0;
}

int inet_capture(struct tree *t, int k, struct fd_rec *f, struct cryo_error *e)
{
	pid_t pid = t->procs[k].proc.pid;
	int sk = proc_dup_fd(pid, f->r.fd, e);
	if (sk < 0)
		return -1;
	struct sock_view v;
	int rc;
	if (read_view(sk, &v) < 0)
		rc = cryo_fail_errno(e, pid, RES, "getsockopt", "cannot read socket fd %d of process %d", f->r.fd, pid);
	else if (v.d.domain == AF_INET || v.d.domain == AF_INET6)
		rc = describe_inet(sk, pid, f->r.fd, &v, e);
	else if (v.d.domain == AF_NETLINK)
		rc = describe_netlink(sk, pid, f->r.fd, &v, e);
	else if (v.d.domain == AF_UNIX)
		rc = describe_unix(sk, pid, f->r.fd, &v, e);
	else
		rc = refuse(pid, f->r.fd, &v, "(not supported)", e);
	char *opts = NULL;
	size_t len = 0;
	if (!rc)
		rc = refuse_if_shared(t, k, f, &v, e) || inet_read_options(sk, pid, f->r.fd, 0, &opts, &len, e) ||
		     refuse_if_queued(sk, pid, f->r.fd, &v, e) || set_detail(pid, f, &v, opts, len, e) ? -1 : 0;
	close(sk);
	free(opts);
	if (rc == 1)        /* as BLCR: comes back unconnected, with a warning */
		return sockets_capture_outside(pid, f, e) || inet_capture_options(pid, f, e) ? -1 : 0;
	return rc;
}

/* ---- restart ---- */

static int check_detail(const struct fd_rec *f, pid_t pid, struct cryo_fd_net_socket *d, struct cryo_error *e)
{
	if (f->detail_len < sizeof(*d))
		return cryo_fail(e, pid, "context file", "", EINVAL, "context file is corrupt: socket fd %d", f->r.fd);
	memcpy(d, f->detail, sizeof(*d));
	int family_ok = d->domain == AF_INET || d->domain == AF_INET6 || d->domain == AF_NETLINK || d->domain == AF_UNIX;
	int type_ok = d->type == SOCK_STREAM || d->type == SOCK_DGRAM || d->type == SOCK_RAW || d->type == SOCK_SEQPACKET;
	if (!family_ok || !type_ok || d->local_len > sizeof(d->local) || d->peer_len > sizeof(d->peer) ||
	    (d->flags & ~(CRYO_NET_BOUND | CRYO_NET_CONNECTED)) ||
	    ((d->flags & CRYO_NET_BOUND) && d->local_len < sizeof(sa_family_t)) ||
	    ((d->flags & CRYO_NET_CONNECTED) && d->peer_len < sizeof(sa_family_t)))
		return cryo_fail(e, pid, "context file", "", EINVAL, "context file is corrupt: socket fd %d", f->r.fd);
	return inet_check_options(f->detail + sizeof(*d), f->detail_len - sizeof(*d), pid, f->r.fd, e);
}

static int address_call(struct rexec *x, long nr, long fd, const uint8_t *addr, uint32_t len, long *r,
			struct cryo_error *e)
{
	uint64_t at;
	return rexec_put(x, 0, addr, len, &at, e) || rexec_syscall(x, nr, fd, (long)at, (long)len, 0, 0, 0, r, e);
}

/* socket(), its options, bind: the socket at its number.  Its connect comes
 * once every descriptor of the process is back (complete_net_socket): the
 * named Unix socket it is connected to may come after it. */
static int restore_net_socket(struct rexec *x, const struct fd_restore *c, const struct fd_rec *f, struct cryo_error *e)
{
	struct cryo_fd_net_socket d;
	pid_t pid = c->s->proc.pid;
	if (check_detail(f, pid, &d, e))
		return -1;
	const char *opts = f->detail + sizeof(d);
	size_t opts_len = f->detail_len - sizeof(d);
	char local[160];
	shown_address(d.local, d.local_len, local, sizeof(local));
	int flags = (f->r.fd_flags & FD_CLOEXEC ? SOCK_CLOEXEC : 0) | (f->r.open_flags & O_NONBLOCK ? SOCK_NONBLOCK : 0);
	long fd, r;
	if (rexec_syscall(x, SYS_socket, d.domain, d.type | flags, d.protocol, 0, 0, 0, &fd, e))
		return -1;
	if (fd < 0)
		return cryo_fail(e, pid, RES, "socket", (int)-fd, "cannot make the %s socket of fd %d of process %d again",
				 protocol_name(d.domain, d.type, d.protocol), f->r.fd, pid);
	/* a TCP port the killed process left in TIME_WAIT takes SO_REUSEADDR to bind
	 * again; the recorded value is set after */
	int on = 1;
	if (inet_apply_options(x, (int)fd, opts, opts_len, 0, pid, f->r.fd, e) ||
	    (d.type == SOCK_STREAM && d.domain != AF_UNIX && (d.flags & CRYO_NET_BOUND) &&
	     set_option(x, (int)fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on), &r, e)))
		return -1;
	if ((d.flags & CRYO_NET_BOUND) && address_call(x, SYS_bind, fd, d.local, d.local_len, &r, e))
		return -1;
	if ((d.flags & CRYO_NET_BOUND) && r < 0)
		return cryo_fail(e, pid, RES, "bind", (int)-r, "cannot bind fd %d of process %d to %s again (is it taken?)",
				 f->r.fd, pid, local);
	if (fd == f->r.fd)
		return 0;
	return rexec_call(x, RES, "dup3", SYS_dup3, fd, f->r.fd, flags & SOCK_CLOEXEC ? O_CLOEXEC : 0, 0, 0, 0, NULL, e,
			  "cannot put socket fd %d in place", f->r.fd) ||
	       rexec_call(x, RES, "close", SYS_close, fd, 0, 0, 0, 0, 0, NULL, e, "cannot close fd %ld", fd);
}

static int complete_net_socket(struct rexec *x, const struct fd_restore *c, const struct snapshot *s, int i,
			       struct cryo_error *e)
{
	const struct fd_rec *f = &s->fds[i];
	struct cryo_fd_net_socket d;
	long r;
	if (f->r.dup_of >= 0 || check_detail(f, s->proc.pid, &d, e))
		return f->r.dup_of >= 0 ? 0 : -1;
	char peer[160];
	shown_address(d.peer, d.peer_len, peer, sizeof(peer));
	if ((d.flags & CRYO_NET_CONNECTED) && address_call(x, SYS_connect, f->r.fd, d.peer, d.peer_len, &r, e))
		return -1;
	if ((d.flags & CRYO_NET_CONNECTED) && r < 0)
		return cryo_fail(e, s->proc.pid, RES, "connect", (int)-r, "cannot connect fd %d of process %d to %s again",
				 f->r.fd, s->proc.pid, peer);
	return inet_apply_options(x, f->r.fd, f->detail + sizeof(d), f->detail_len - sizeof(d), 1, s->proc.pid, f->r.fd, e);
}

static int validate_net_socket(const struct tree *t, const struct snapshot *s, const struct fd_rec *f)
{
	struct cryo_fd_net_socket d;
	struct cryo_error ignored;
	return check_detail(f, s->proc.pid, &d, &ignored);
}

const struct fd_ops net_socket_fd_ops = {
	.kind = CRYO_FD_NET_SOCKET, .name = "socket made again", .validate = validate_net_socket,
	.restore = restore_net_socket, .complete = complete_net_socket, .needs_memory = 1,
};

/* ---- options of the pool's sockets (TCP, socket pairs): section SOCKOPTS ---- */

int inet_capture_pool(struct tree *t, int sk, pid_t pid, int fd, uint64_t ino, uint32_t backlog, int connected_tcp,
		      struct cryo_error *e)
{
	for (int i = 0; i < t->nr_pool_sockopts; i++)
		if (t->pool_sockopts[i].r.ino == ino)
			return 0;
	struct pool_sockopts_rec p = { .r = { .backlog = backlog, .ino = ino } };
	if (inet_read_options(sk, pid, fd, connected_tcp, &p.opts, &p.len, e))
		return -1;
	struct pool_sockopts_rec *grown = realloc(t->pool_sockopts, (size_t)(t->nr_pool_sockopts + 1) * sizeof(*grown));
	if (!grown) {
		free(p.opts);
		return cryo_fail(e, pid, RES, "malloc", ENOMEM, "out of memory");
	}
	t->pool_sockopts = grown;
	t->pool_sockopts[t->nr_pool_sockopts++] = p;
	return 0;
}

const struct pool_sockopts_rec *inet_pool_options(const struct tree *t, uint64_t ino)
{
	for (int i = 0; i < t->nr_pool_sockopts; i++)
		if (t->pool_sockopts[i].r.ino == ino)
			return &t->pool_sockopts[i];
	return NULL;
}

int inet_apply_pool_options(const struct tree *t, int fd, uint64_t ino, int after_bind, struct cryo_error *e)
{
	const struct pool_sockopts_rec *p = inet_pool_options(t, ino);
	struct rexec self;
	rexec_self(&self);
	return p ? inet_apply_options(&self, fd, p->opts, p->len, after_bind, getpid(), fd, e) : 0;
}

/* The section (snapshot.c encodes it); its options are applied by the pool's kinds. */
const struct resource_ops sockopts_resource = {
	.section = CRYO_SEC_SOCKOPTS, .name = "socket options", .write = tree_write_pool_sockopts,
	.read = tree_read_pool_sockopts, .free = tree_free_pool_sockopts,
};
