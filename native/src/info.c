/*
 * cryo_describe: what a context file holds, as JSON.  The engine is the one
 * reader of the format (docs/FORMAT.md): `cryo info` and anything else that
 * wants to know what a file holds asks here (cryo-engine info --json, or the
 * JNI describe), so no second parser repeats the layout.
 *
 * The file is verified first, exactly as a restore verifies it (every
 * checksum, every record, the tree's links: tree_read), and everything
 * printed comes from the verified struct tree.  Sizes are what the verified
 * data holds (bytes of page runs, of buffered data), never a count the file
 * merely claims.  Strings in the file are untrusted: they come out as ASCII
 * JSON, control characters and every non-ASCII character as \uXXXX, invalid
 * UTF-8 as U+FFFD, so the output is safe on a terminal as it stands.
 */
#include "info.h"
#include "error.h"
#include "fdtypes.h"
#include "image.h"
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/netlink.h>
#include <netinet/tcp.h>
#include <time.h>

/* ---- kind names: a descriptor's from its kind's ops (fdtypes.c); mappings have no table yet ---- */

static const char *fd_kind_name(uint32_t kind)
{
	const struct fd_ops *ops = fd_ops_of(kind);
	return ops && ops->name ? ops->name : "unknown";
}

const char *cryo_vma_kind_name(uint32_t kind)
{
	static const char *const names[] = {
		[CRYO_VMA_ANON_PRIVATE] = "anon-private", [CRYO_VMA_ANON_SHARED] = "anon-shared",
		[CRYO_VMA_FILE_PRIVATE] = "file-private", [CRYO_VMA_FILE_SHARED] = "file-shared",
		[CRYO_VMA_VDSO] = "vdso",                 [CRYO_VMA_VVAR] = "vvar",
		[CRYO_VMA_SYSV_SHM] = "sysv-shm",
	};
	return kind < sizeof(names) / sizeof(names[0]) && names[kind] ? names[kind] : "unknown";
}

/* ---- a small JSON writer: indentation and commas kept for the caller ---- */

#define JSON_MAX_DEPTH 16             /* the deepest nesting written here is 6 */

struct json {
	FILE *out;
	int depth;
	int count[JSON_MAX_DEPTH];      /* members written at each depth, for the commas */
	int inline_[JSON_MAX_DEPTH];    /* an array of scalars, written on one line */
};

/* The comma, the line break and the key before a member (key NULL: an array element). */
static void json_member(struct json *j, const char *key)
{
	if (j->count[j->depth]++)
		fputs(j->inline_[j->depth] ? ", " : ",", j->out);
	if (!j->inline_[j->depth])
		fprintf(j->out, "\n%*s", 2 * j->depth, "");
	if (key)
		fprintf(j->out, "\"%s\": ", key);
}

static void json_open(struct json *j, const char *key, char bracket)
{
	if (j->depth > 0 || j->count[0])
		json_member(j, key);
	fputc(bracket, j->out);
	j->count[++j->depth] = 0;
	j->inline_[j->depth] = 0;
}

static void json_close(struct json *j, char bracket)
{
	int empty = j->count[j->depth] == 0 || j->inline_[j->depth];
	if (j->depth > 0)
		j->depth--;
	if (!empty)
		fprintf(j->out, "\n%*s", 2 * j->depth, "");
	fputc(bracket, j->out);
}

#define json_object(j, key) json_open((j), (key), '{')
#define json_object_end(j)  json_close((j), '}')
#define json_array(j, key)  json_open((j), (key), '[')
#define json_array_end(j)   json_close((j), ']')

static void json_inline_array(struct json *j, const char *key)
{
	json_array(j, key);
	j->inline_[j->depth] = 1;
}

static void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_member(j, key);
	fprintf(j->out, "%" PRIu64, v);
}

static void json_i64(struct json *j, const char *key, int64_t v)
{
	json_member(j, key);
	fprintf(j->out, "%" PRId64, v);
}

/* Addresses and bit masks: hexadecimal strings, as /proc shows them (and
 * beyond the reach of a signed 64-bit reader). */
static void json_hex(struct json *j, const char *key, uint64_t v)
{
	json_member(j, key);
	fprintf(j->out, "\"0x%" PRIx64 "\"", v);
}

static void json_bool(struct json *j, const char *key, int v)
{
	json_member(j, key);
	fputs(v ? "true" : "false", j->out);
}

/* The length of the valid UTF-8 sequence at s (at most n bytes) and its code point, or 0. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	if (!len || len > n || s[0] > 0xf4)
		return 0;
	uint32_t c = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (c < least[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;       /* overlong, out of range or a surrogate */
	*cp = c;
	return len;
}

static void json_escape_code_point(FILE *out, uint32_t c)
{
	if (c >= 0x10000) {
		c -= 0x10000;
		fprintf(out, "\\u%04x\\u%04x", 0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
	} else {
		fprintf(out, "\\u%04x", c);
	}
}

/* An untrusted byte string as a JSON string of printable ASCII. */
static void json_write_string(FILE *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', out);
	for (size_t i = 0; i < len;) {
		unsigned char b = s[i];
		if (b == '"' || b == '\\') {
			fputc('\\', out);
			fputc(b, out);
			i++;
		} else if (b >= 0x20 && b < 0x7f) {
			fputc(b, out);
			i++;
		} else if (b < 0x80) {
			fprintf(out, "\\u%04x", b);     /* C0 controls and DEL */
			i++;
		} else {
			uint32_t cp;
			size_t n = utf8_decode(s + i, len - i, &cp);
			json_escape_code_point(out, n ? cp : 0xfffd);
			i += n ? n : 1;
		}
	}
	fputc('"', out);
}

static void json_strn(struct json *j, const char *key, const char *s, size_t len)
{
	json_member(j, key);
	json_write_string(j->out, s ? s : "", s ? len : 0);
}

static void json_str(struct json *j, const char *key, const char *s)
{
	json_strn(j, key, s, s ? strlen(s) : 0);
}

/* ---- the file ---- */

static void describe_time(struct json *j, uint64_t ns)
{
	char when[64];
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;
	if (!gmtime_r(&sec, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(when, sizeof(when), "?");
	char iso[96];
	snprintf(iso, sizeof(iso), "%s.%09" PRIu64 "Z", when, ns % 1000000000u);
	json_str(j, "time", iso);
	json_u64(j, "timeNs", ns);
}

/* The NUL-separated command line as an array (a trailing NUL ends the last argument). */
static void describe_command_line(struct json *j, const char *cmdline, uint32_t len)
{
	json_array(j, "commandLine");
	for (uint32_t at = 0; cmdline && at < len;) {
		const char *nul = memchr(cmdline + at, 0, len - at);
		uint32_t n = nul ? (uint32_t)(nul - (cmdline + at)) : len - at;
		json_strn(j, NULL, cmdline + at, n);
		at += n + 1;
	}
	json_array_end(j);
}

static void describe_file(struct json *j, const struct image_reader *r, const struct snapshot *first)
{
	char version[32];
	uint32_t v = first->info.cryo_version;
	snprintf(version, sizeof(version), "%u.%u.%u", v / 10000, v / 100 % 100, v % 100);
	json_u64(j, "formatVersion", r->header.version);
	json_str(j, "engineVersion", version);
	json_u64(j, "engineVersionCode", v);
	json_u64(j, "fileSize", r->size);
	describe_time(j, first->info.time_ns);
	json_u64(j, "freezeNs", first->info.freeze_ns);
	json_str(j, "host", first->hostname);
	json_str(j, "kernel", first->kernel);
	json_str(j, "user", first->user);
	json_u64(j, "uid", first->info.uid);
	json_u64(j, "gid", first->info.gid);
	describe_command_line(j, first->cmdline, first->cmdline_len);
}

/* ---- a process ---- */

static void describe_ids(struct json *j, const char *key, const uint32_t ids[3])
{
	json_inline_array(j, key);
	for (int i = 0; i < 3; i++)
		json_u64(j, NULL, ids[i]);
	json_array_end(j);
}

static void describe_attrs(struct json *j, const struct cryo_proc_attrs *a)
{
	json_object(j, "attributes");
	json_bool(j, "childSubreaper", a->child_subreaper != 0);
	json_i64(j, "pdeathsig", a->pdeathsig);
	json_i64(j, "oomScoreAdj", a->oom_score_adj);
	json_bool(j, "thpDisable", a->thp_disable != 0);
	json_bool(j, "noNewPrivs", a->no_new_privs != 0);
	json_hex(j, "membarrier", a->membarrier);
	json_u64(j, "schedPolicy", a->sched_policy);
	json_i64(j, "schedNice", a->sched_nice);
	json_u64(j, "schedPriority", a->sched_priority);
	json_u64(j, "loginuid", a->loginuid);
	json_bool(j, "stopped", a->stopped != 0);
	json_hex(j, "capInheritable", a->cap_inheritable);
	json_hex(j, "capPermitted", a->cap_permitted);
	json_hex(j, "capEffective", a->cap_effective);
	json_hex(j, "capBounding", a->cap_bounding);
	json_hex(j, "capAmbient", a->cap_ambient);
	json_object_end(j);
}

static void describe_threads(struct json *j, const struct snapshot *s)
{
	json_array(j, "threads");
	for (int i = 0; i < s->nr_threads; i++) {
		json_object(j, NULL);
		json_i64(j, "tid", s->threads[i].r.tid);
		json_i64(j, "nsTid", s->threads[i].r.ns_tid);
		json_u64(j, "pendingSignals", s->threads[i].r.nr_pending);
		json_object_end(j);
	}
	json_array_end(j);
}

static void describe_vma_flags(struct json *j, uint32_t flags)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ CRYO_VMA_GROWSDOWN, "growsdown" }, { CRYO_VMA_HUGEPAGE, "hugepage" },
		{ CRYO_VMA_NOHUGEPAGE, "nohugepage" }, { CRYO_VMA_DONTFORK, "dontfork" },
		{ CRYO_VMA_DONTDUMP, "dontdump" }, { CRYO_VMA_WIPEONFORK, "wipeonfork" },
		{ CRYO_VMA_LOCKED, "locked" }, { CRYO_VMA_HEAP, "heap" }, { CRYO_VMA_STACK, "stack" },
		{ CRYO_VMA_FILE_GONE, "file-gone" }, { CRYO_VMA_BY_CONTENT, "by-content" }, { CRYO_VMA_INHERITED, "inherited" },
		{ CRYO_VMA_DROPPABLE, "droppable" },
	};
	json_inline_array(j, "flags");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			json_str(j, NULL, names[i].name);
	json_array_end(j);
}

static void describe_perms(struct json *j, uint32_t prot)
{
	char perms[4] = { prot & PROT_READ ? 'r' : '-', prot & PROT_WRITE ? 'w' : '-', prot & PROT_EXEC ? 'x' : '-', 0 };
	json_str(j, "perms", perms);
}

/* Bytes of page data of mapping v, from the verified page runs (both in address order: run *next onwards). */
static uint64_t saved_bytes(const struct snapshot *s, const struct cryo_vma *v, size_t *next)
{
	uint64_t bytes = 0;
	while (*next < s->nr_runs && s->runs[*next].vaddr < v->end) {
		if (s->runs[*next].vaddr >= v->start)
			bytes += s->runs[*next].nr_pages * CRYO_PAGE_SIZE;
		(*next)++;
	}
	return bytes;
}

/* Pages of the ranges (by address, as tree_read checked them) that lie in mapping v. */
static uint64_t pages_in(const struct cryo_page_range *ranges, size_t n, const struct cryo_vma *v)
{
	uint64_t pages = 0;
	for (size_t i = 0; i < n; i++)
		if (ranges[i].vaddr >= v->start && ranges[i].vaddr < v->end)
			pages += ranges[i].nr_pages;
	return pages;
}

static uint64_t describe_mappings(struct json *j, const struct snapshot *s, uint64_t *address_bytes)
{
	uint64_t total = 0;
	size_t next = 0;
	*address_bytes = 0;
	json_array(j, "mappings");
	for (int i = 0; i < s->nr_vmas; i++) {
		const struct cryo_vma *v = &s->vmas[i].r;
		uint64_t saved = saved_bytes(s, v, &next);
		json_object(j, NULL);
		json_hex(j, "start", v->start);
		json_hex(j, "end", v->end);
		describe_perms(j, v->prot);
		json_str(j, "kind", cryo_vma_kind_name(v->kind));
		describe_vma_flags(j, v->flags);
		json_hex(j, "offset", v->pgoff);
		json_str(j, "path", s->vmas[i].path);
		json_u64(j, "savedBytes", saved);
		if (v->flags & CRYO_VMA_INHERITED)
			json_u64(j, "sharedWithParentBytes", pages_in(s->shared, s->nr_shared, v) * CRYO_PAGE_SIZE);
		if (s->nr_guards)
			json_u64(j, "guardPages", pages_in(s->guards, s->nr_guards, v));
		json_object_end(j);
		total += saved;
		*address_bytes += v->end - v->start;
	}
	json_array_end(j);
	return total;
}

static const char *access_mode(uint32_t open_flags)
{
	switch (open_flags & 3) {
	case 0: return "read";
	case 1: return "write";
	default: return "read/write";
	}
}

static const char *socket_type_name(int type)
{
	switch (type) {
	case SOCK_STREAM: return "stream";
	case SOCK_DGRAM: return "dgram";
	case SOCK_SEQPACKET: return "seqpacket";
	case SOCK_RAW: return "raw";
	default: return "other";
	}
}

static const char *socket_domain_name(int domain)
{
	switch (domain) {
	case AF_UNIX: return "unix";
	case AF_INET: return "inet";
	case AF_INET6: return "inet6";
	case AF_NETLINK: return "netlink";
	case AF_PACKET: return "packet";
	default: return "other";
	}
}

/* A detail of a fixed size: copied out only if the record holds all of it. */
static int detail_as(const struct fd_rec *f, void *out, size_t size)
{
	if (!f->detail || f->detail_len < size)
		return 0;
	memcpy(out, f->detail, size);
	return 1;
}

static void describe_locks(struct json *j, const struct fd_rec *f)
{
	static const char *const kinds[] = { [CRYO_LOCK_FLOCK] = "flock", [CRYO_LOCK_POSIX] = "posix",
					      [CRYO_LOCK_OFD] = "ofd" };
	json_array(j, "locks");
	for (size_t at = 0; f->detail && at + sizeof(struct cryo_lock) <= f->detail_len; at += sizeof(struct cryo_lock)) {
		struct cryo_lock l;
		memcpy(&l, f->detail + at, sizeof(l));
		json_object(j, NULL);
		json_str(j, "kind", l.kind <= CRYO_LOCK_OFD && kinds[l.kind] ? kinds[l.kind] : "unknown");
		json_bool(j, "write", l.write != 0);
		json_i64(j, "start", l.start);
		json_i64(j, "len", l.len);
		json_object_end(j);
	}
	json_array_end(j);
}

static void describe_epoll(struct json *j, const struct fd_rec *f)
{
	json_array(j, "targets");
	for (size_t at = 0; f->detail && at + sizeof(struct cryo_epoll_target) <= f->detail_len;
	     at += sizeof(struct cryo_epoll_target)) {
		struct cryo_epoll_target t;
		memcpy(&t, f->detail + at, sizeof(t));
		json_object(j, NULL);
		json_i64(j, "fd", t.fd);
		json_hex(j, "events", t.events);
		json_object_end(j);
	}
	json_array_end(j);
}

/* The watches, as eventfds.c reads them: a watch whose path overruns the detail ends the list. */
static void describe_inotify(struct json *j, const struct fd_rec *f)
{
	json_array(j, "watches");
	for (size_t at = 0; f->detail && at + sizeof(struct cryo_inotify_watch) <= f->detail_len;) {
		struct cryo_inotify_watch w;
		memcpy(&w, f->detail + at, sizeof(w));
		at += sizeof(w);
		if (w.path_len > f->detail_len - at)
			break;
		json_object(j, NULL);
		json_i64(j, "wd", w.wd);
		json_hex(j, "mask", w.mask);
		json_strn(j, "path", f->detail + at, w.path_len);
		json_object_end(j);
		at += (w.path_len + 7u) & ~7u;
	}
	json_array_end(j);
}

static void describe_unix_name(struct json *j, const char *name, size_t len)
{
	if (len && name[0] == 0) {      /* abstract: shown as ss shows it, @name */
		char buf[sizeof(((struct cryo_fd_unix_bound *)0)->name) + 1];
		buf[0] = '@';
		memcpy(buf + 1, name + 1, len - 1);
		json_strn(j, "name", buf, len);
	} else {                        /* a path: its length may count the terminating NUL */
		const char *nul = memchr(name, 0, len);
		json_strn(j, "name", name, nul ? (size_t)(nul - name) : len);
	}
}

static void describe_sockaddr(struct json *j, const char *key, const uint8_t *addr, uint32_t len);

static const char *socket_protocol_name(int domain, int protocol)
{
	if (domain != AF_INET && domain != AF_INET6)
		return NULL;
	switch (protocol) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_UDPLITE: return "udplite";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	case IPPROTO_RAW: return "raw";
	default: return NULL;
	}
}

static const char *sockopt_level_name(int level)
{
	switch (level) {
	case SOL_SOCKET: return "SOL_SOCKET";
	case IPPROTO_IP: return "IPPROTO_IP";
	case IPPROTO_IPV6: return "IPPROTO_IPV6";
	case IPPROTO_TCP: return "IPPROTO_TCP";
	case IPPROTO_UDP: return "IPPROTO_UDP";
	case 270: return "SOL_NETLINK";
	default: return NULL;
	}
}

struct sockopt_name { int level, name; const char *text; };

static const struct sockopt_name sockopt_names[] = {
	{ SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR" }, { SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT" },
	{ SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE" }, { SOL_SOCKET, SO_LINGER, "SO_LINGER" },
	{ SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST" }, { SOL_SOCKET, SO_PRIORITY, "SO_PRIORITY" },
	{ SOL_SOCKET, SO_MARK, "SO_MARK" }, { SOL_SOCKET, SO_BINDTODEVICE, "SO_BINDTODEVICE" },
	{ SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF" }, { SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF" },
	{ SOL_SOCKET, SO_RCVLOWAT, "SO_RCVLOWAT" }, { SOL_SOCKET, SO_OOBINLINE, "SO_OOBINLINE" },
	{ SOL_SOCKET, SO_RCVTIMEO_OLD, "SO_RCVTIMEO" }, { SOL_SOCKET, SO_SNDTIMEO_OLD, "SO_SNDTIMEO" },
	{ SOL_SOCKET, SO_DONTROUTE, "SO_DONTROUTE" }, { SOL_SOCKET, SO_PASSCRED, "SO_PASSCRED" },
	{ SOL_SOCKET, SO_TIMESTAMP_OLD, "SO_TIMESTAMP" }, { SOL_SOCKET, SO_ATTACH_FILTER, "SO_ATTACH_FILTER" },
	{ SOL_SOCKET, SO_NO_CHECK, "SO_NO_CHECK" },
	{ IPPROTO_IP, IP_TOS, "IP_TOS" }, { IPPROTO_IP, IP_TTL, "IP_TTL" }, { IPPROTO_IP, IP_FREEBIND, "IP_FREEBIND" },
	{ IPPROTO_IP, IP_RECVERR, "IP_RECVERR" }, { IPPROTO_IP, IP_PKTINFO, "IP_PKTINFO" },
	{ IPPROTO_IP, IP_MULTICAST_TTL, "IP_MULTICAST_TTL" }, { IPPROTO_IP, IP_MULTICAST_LOOP, "IP_MULTICAST_LOOP" },
	{ IPPROTO_IP, IP_ADD_MEMBERSHIP, "IP_ADD_MEMBERSHIP" }, { IPPROTO_IP, IP_HDRINCL, "IP_HDRINCL" },
	{ IPPROTO_IP, IP_MTU_DISCOVER, "IP_MTU_DISCOVER" }, { IPPROTO_IP, IP_TRANSPARENT, "IP_TRANSPARENT" },
	{ IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY" }, { IPPROTO_IPV6, IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS" },
	{ IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, "IPV6_ADD_MEMBERSHIP" }, { IPPROTO_IPV6, IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO" },
	{ IPPROTO_IPV6, IPV6_TCLASS, "IPV6_TCLASS" }, { IPPROTO_IPV6, IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS" },
	{ IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY" }, { IPPROTO_TCP, TCP_CORK, "TCP_CORK" },
	{ IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE" }, { IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL" },
	{ IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT" }, { IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT" },
	{ IPPROTO_TCP, TCP_CONGESTION, "TCP_CONGESTION" }, { IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG" },
	{ IPPROTO_TCP, TCP_WINDOW_CLAMP, "TCP_WINDOW_CLAMP" }, { IPPROTO_TCP, TCP_QUICKACK, "TCP_QUICKACK" },
	{ IPPROTO_TCP, TCP_DEFER_ACCEPT, "TCP_DEFER_ACCEPT" }, { IPPROTO_TCP, TCP_FASTOPEN, "TCP_FASTOPEN" },
	{ 270, NETLINK_ADD_MEMBERSHIP, "NETLINK_ADD_MEMBERSHIP" },
};

static const char *sockopt_name(int level, int name)
{
	for (size_t i = 0; i < sizeof(sockopt_names) / sizeof(sockopt_names[0]); i++)
		if (sockopt_names[i].level == level && sockopt_names[i].name == name)
			return sockopt_names[i].text;
	return NULL;
}

static void describe_name_or_number(struct json *j, const char *key, const char *name, int number)
{
	if (name)
		json_str(j, key, name);
	else
		json_i64(j, key, number);
}

/* An option's value as its kind reads best: a number, a device or
 * algorithm name, a linger, a filter's length, a multicast group. */
static void describe_sockopt_value(struct json *j, const struct cryo_sockopt *o, const char *v)
{
	int32_t i32;
	if (o->level == SOL_SOCKET && o->name == SO_LINGER && o->len >= sizeof(struct linger)) {
		struct linger l;
		memcpy(&l, v, sizeof(l));
		json_bool(j, "on", l.l_onoff != 0);
		json_i64(j, "seconds", l.l_linger);
	} else if ((o->level == SOL_SOCKET && o->name == SO_BINDTODEVICE) ||
		   (o->level == IPPROTO_TCP && o->name == TCP_CONGESTION)) {
		const char *nul = memchr(v, 0, o->len);
		json_strn(j, "value", v, nul ? (size_t)(nul - v) : o->len);
	} else if (o->level == SOL_SOCKET && o->name == SO_ATTACH_FILTER) {
		json_u64(j, "instructions", o->len / 8);
	} else if (o->level == IPPROTO_IP && o->name == IP_ADD_MEMBERSHIP && o->len >= sizeof(struct ip_mreqn)) {
		struct ip_mreqn m;
		char ip[INET_ADDRSTRLEN] = "";
		memcpy(&m, v, sizeof(m));
		inet_ntop(AF_INET, &m.imr_multiaddr, ip, sizeof(ip));
		json_str(j, "group", ip);
		json_i64(j, "ifindex", m.imr_ifindex);
	} else if (o->level == IPPROTO_IPV6 && o->name == IPV6_ADD_MEMBERSHIP && o->len >= sizeof(struct ipv6_mreq)) {
		struct ipv6_mreq m;
		char ip[INET6_ADDRSTRLEN] = "";
		memcpy(&m, v, sizeof(m));
		inet_ntop(AF_INET6, &m.ipv6mr_multiaddr, ip, sizeof(ip));
		json_str(j, "group", ip);
		json_u64(j, "ifindex", m.ipv6mr_interface);
	} else if (o->len == sizeof(i32)) {
		memcpy(&i32, v, sizeof(i32));
		json_i64(j, "value", i32);
	} else {
		json_u64(j, "bytes", o->len);
	}
}

/* A socket's options (format.h: struct cryo_sockopt, value padded to 8), as
 * far as they decode inside the verified bytes. */
static void describe_sockopts(struct json *j, const char *opts, size_t len)
{
	json_array(j, "options");
	for (size_t at = 0; opts && at + sizeof(struct cryo_sockopt) <= len;) {
		struct cryo_sockopt o;
		memcpy(&o, opts + at, sizeof(o));
		at += sizeof(o);
		if (o.len > len - at)
			break;
		json_object(j, NULL);
		describe_name_or_number(j, "level", sockopt_level_name(o.level), o.level);
		describe_name_or_number(j, "name", sockopt_name(o.level, o.name), o.name);
		describe_sockopt_value(j, &o, opts + at);
		json_object_end(j);
		at += ((size_t)o.len + 7) & ~(size_t)7;
	}
	json_array_end(j);
}

/* The options after a detail's fixed part of size fixed. */
static void describe_detail_sockopts(struct json *j, const struct fd_rec *f, size_t fixed)
{
	if (f->detail && f->detail_len >= fixed)
		describe_sockopts(j, f->detail + fixed, f->detail_len - fixed);
}

/* A bound or connected address of a socket made again by its own calls. */
static void describe_net_address(struct json *j, const char *key, int domain, const uint8_t *addr, uint32_t len)
{
	if (len > 128)
		return;
	if (domain == AF_INET || domain == AF_INET6) {
		describe_sockaddr(j, key, addr, len);
	} else if (domain == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path)) {
		const size_t off = offsetof(struct sockaddr_un, sun_path);
		json_object(j, key);
		describe_unix_name(j, (const char *)addr + off, len - off);
		json_object_end(j);
	} else if (domain == AF_NETLINK && len >= sizeof(struct sockaddr_nl)) {
		struct sockaddr_nl nl;
		memcpy(&nl, addr, sizeof(nl));
		json_object(j, key);
		json_u64(j, "portId", nl.nl_pid);
		json_hex(j, "groups", nl.nl_groups);
		json_object_end(j);
	}
}

static void describe_net_socket(struct json *j, const struct fd_rec *f)
{
	struct cryo_fd_net_socket d;
	if (!detail_as(f, &d, sizeof(d)))
		return;
	json_str(j, "domain", socket_domain_name(d.domain));
	json_str(j, "type", socket_type_name(d.type));
	describe_name_or_number(j, "protocol", socket_protocol_name(d.domain, d.protocol), d.protocol);
	json_str(j, "state", d.flags & CRYO_NET_CONNECTED ? "connected" : d.flags & CRYO_NET_BOUND ? "bound" : "unbound");
	if (d.flags & CRYO_NET_BOUND)
		describe_net_address(j, "local", d.domain, d.local, d.local_len);
	if (d.flags & CRYO_NET_CONNECTED)
		describe_net_address(j, "peer", d.domain, d.peer, d.peer_len);
	describe_detail_sockopts(j, f, sizeof(d));
}

/* What the kind's detail says, in a few fields. */
static void describe_fd_detail(struct json *j, const struct fd_rec *f)
{
	union {
		struct cryo_fd_pipe pipe;
		struct cryo_fd_eventfd eventfd;
		struct cryo_fd_timerfd timerfd;
		struct cryo_fd_signalfd signalfd;
		struct cryo_fd_socket socket;
		struct cryo_fd_unix_bound bound;
		struct cryo_fd_memfd memfd;
	} d;
	json_object(j, "detail");
	switch (f->r.kind) {
	case CRYO_FD_REGULAR:
		describe_locks(j, f);
		break;
	case CRYO_FD_PIPE:
		json_u64(j, "pipe", f->r.file.ino);
		if (detail_as(f, &d.pipe, sizeof(d.pipe))) {
			json_bool(j, "ownOpenFile", d.pipe.own_open_file != 0);
			json_bool(j, "noWriterSeen", (d.pipe.flags & CRYO_PIPE_NO_WRITER_SEEN) != 0);
		}
		break;
	case CRYO_FD_PARENT:
		json_i64(j, "parentFd", f->r.parent_fd);
		break;
	case CRYO_FD_EVENTFD:
		if (detail_as(f, &d.eventfd, sizeof(d.eventfd))) {
			json_u64(j, "count", d.eventfd.count);
			json_bool(j, "semaphore", d.eventfd.semaphore != 0);
		}
		break;
	case CRYO_FD_TIMERFD:
		if (detail_as(f, &d.timerfd, sizeof(d.timerfd))) {
			json_i64(j, "clock", d.timerfd.clockid);
			json_u64(j, "ticks", d.timerfd.ticks);
			json_bool(j, "armed", d.timerfd.value_sec || d.timerfd.value_nsec);
		}
		break;
	case CRYO_FD_SIGNALFD:
		if (detail_as(f, &d.signalfd, sizeof(d.signalfd)))
			json_hex(j, "mask", d.signalfd.mask);
		break;
	case CRYO_FD_EPOLL:
		describe_epoll(j, f);
		break;
	case CRYO_FD_SOCKET:
	case CRYO_FD_TCP:
		json_u64(j, "socket", f->r.file.ino);
		break;
	case CRYO_FD_CLOSED_SOCKET:
		if (detail_as(f, &d.socket, sizeof(d.socket))) {
			json_str(j, "domain", socket_domain_name(d.socket.domain));
			json_str(j, "type", socket_type_name(d.socket.type));
		}
		describe_detail_sockopts(j, f, sizeof(d.socket));
		break;
	case CRYO_FD_NET_SOCKET:
		describe_net_socket(j, f);
		break;
	case CRYO_FD_INOTIFY:
		describe_inotify(j, f);
		break;
	case CRYO_FD_SHMEM:
		json_u64(j, "dev", f->r.file.dev);
		json_u64(j, "ino", f->r.file.ino);
		if (detail_as(f, &d.memfd, sizeof(d.memfd))) {
			json_hex(j, "seals", d.memfd.seals);
			json_u64(j, "mode", d.memfd.mode);
		}
		break;
	case CRYO_FD_UNIX_BOUND:
		if (detail_as(f, &d.bound, sizeof(d.bound))) {
			json_str(j, "type", socket_type_name(d.bound.type));
			describe_unix_name(j, d.bound.name, d.bound.name_len <= sizeof(d.bound.name) ? d.bound.name_len : 0);
			json_bool(j, "listening", d.bound.listening != 0);
			if (d.bound.listening)
				json_u64(j, "backlog", d.bound.backlog);
		}
		describe_detail_sockopts(j, f, sizeof(d.bound));
		break;
	}
	json_object_end(j);
}

static void describe_descriptors(struct json *j, const struct snapshot *s)
{
	json_array(j, "descriptors");
	for (int i = 0; i < s->nr_fds; i++) {
		const struct fd_rec *f = &s->fds[i];
		json_object(j, NULL);
		json_i64(j, "fd", f->r.fd);
		json_str(j, "kind", fd_kind_name(f->r.kind));
		json_str(j, "access", access_mode(f->r.open_flags));
		json_hex(j, "openFlags", f->r.open_flags);
		json_bool(j, "cloexec", f->r.fd_flags & 1);
		if (f->r.dup_of >= 0)
			json_i64(j, "dupOf", f->r.dup_of);
		json_i64(j, "pos", (int64_t)f->r.pos);
		json_str(j, "path", f->path);
		describe_fd_detail(j, f);
		json_object_end(j);
	}
	json_array_end(j);
}

static void describe_process(struct json *j, const struct tree *t, const struct snapshot *s)
{
	const struct cryo_process *p = &s->proc;
	json_object(j, NULL);
	json_i64(j, "pid", p->pid);
	json_i64(j, "ppid", p->ppid);
	json_bool(j, "root", tree_is_root(t, s));
	json_i64(j, "pgid", p->pgid);
	json_i64(j, "sid", p->sid);
	json_i64(j, "nsPid", p->ns_pid);
	json_u64(j, "nsDepth", p->ns_depth);
	json_str(j, "comm", s->comm);
	json_str(j, "state", p->state == CRYO_PROCESS_ZOMBIE ? "zombie" : "live");
	if (p->state == CRYO_PROCESS_ZOMBIE)
		json_i64(j, "waitStatus", p->exit_code);
	json_str(j, "cwd", s->cwd);
	json_str(j, "exe", s->exe);
	describe_ids(j, "uids", p->uid);
	describe_ids(j, "gids", p->gid);
	if (s->nr_groups >= 0) {
		json_inline_array(j, "groups");
		for (int i = 0; i < s->nr_groups; i++)
			json_u64(j, NULL, s->groups[i]);
		json_array_end(j);
	}
	json_u64(j, "umask", p->umask);
	json_hex(j, "personality", p->personality);
	json_u64(j, "sharedPendingSignals", p->nr_shared_pending);
	if (s->has_attrs)
		describe_attrs(j, &s->attrs);
	describe_threads(j, s);
	uint64_t address_bytes;
	uint64_t saved = describe_mappings(j, s, &address_bytes);
	json_u64(j, "addressBytes", address_bytes);
	json_u64(j, "savedBytes", saved);
	describe_descriptors(j, s);
	json_object_end(j);
}

/* ---- the tree's resources ---- */

static void describe_pipes(struct json *j, const struct tree *t)
{
	json_array(j, "pipes");
	for (int i = 0; i < t->nr_pipes; i++) {
		json_object(j, NULL);
		json_u64(j, "ino", t->pipes[i].r.ino);
		json_u64(j, "capacity", t->pipes[i].r.capacity);
		json_u64(j, "bufferedBytes", t->pipes[i].r.data_len);
		if (t->pipes[i].fifo_path && t->pipes[i].fifo_path[0])
			json_str(j, "fifo", t->pipes[i].fifo_path);
		json_object_end(j);
	}
	json_array_end(j);
}

static void describe_pair_u64(struct json *j, const char *key, uint64_t a, uint64_t b)
{
	json_inline_array(j, key);
	json_u64(j, NULL, a);
	json_u64(j, NULL, b);
	json_array_end(j);
}

static void describe_socketpairs(struct json *j, const struct tree *t)
{
	json_array(j, "socketPairs");
	for (int i = 0; i < t->nr_socketpairs; i++) {
		const struct cryo_socketpair *p = &t->socketpairs[i].r;
		json_object(j, NULL);
		json_str(j, "type", socket_type_name((int)p->type));
		describe_pair_u64(j, "inodes", p->ino[0], p->ino[1]);
		describe_pair_u64(j, "queuedBytes", p->queued_len[0], p->queued_len[1]);
		describe_pair_u64(j, "shutdown", p->shutdown[0], p->shutdown[1]);
		json_object_end(j);
	}
	json_array_end(j);
}

/* "address:port" of a recorded struct sockaddr (len checked by tree_read). */
static void describe_sockaddr(struct json *j, const char *key, const uint8_t *addr, uint32_t len)
{
	char text[INET6_ADDRSTRLEN + 16] = "";
	char ip[INET6_ADDRSTRLEN];
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	if (len >= sizeof(in4) && ((const struct sockaddr *)addr)->sa_family == AF_INET) {
		memcpy(&in4, addr, sizeof(in4));
		if (inet_ntop(AF_INET, &in4.sin_addr, ip, sizeof(ip)))
			snprintf(text, sizeof(text), "%s:%u", ip, ntohs(in4.sin_port));
	} else if (len >= sizeof(in6) && ((const struct sockaddr *)addr)->sa_family == AF_INET6) {
		memcpy(&in6, addr, sizeof(in6));
		if (inet_ntop(AF_INET6, &in6.sin6_addr, ip, sizeof(ip)))
			snprintf(text, sizeof(text), "[%s]:%u", ip, ntohs(in6.sin6_port));
	}
	json_str(j, key, text);
}

static void describe_tcp(struct json *j, const struct tree *t)
{
	json_array(j, "tcp");
	for (int i = 0; i < t->nr_tcp; i++) {
		const struct cryo_tcp *c = &t->tcp[i].r;
		json_object(j, NULL);
		json_u64(j, "ino", c->ino);
		json_str(j, "state", c->state == 10 ? "listen" : c->state == 1 ? "established" : "other");
		json_str(j, "domain", socket_domain_name(c->domain));
		describe_sockaddr(j, "local", c->local, c->local_len);
		if (c->state != 10)
			describe_sockaddr(j, "peer", c->peer, c->peer_len);
		json_u64(j, "sendQueueBytes", c->send_len);
		json_u64(j, "recvQueueBytes", c->recv_len);
		json_object_end(j);
	}
	json_array_end(j);
}

/* Messages that decode inside the verified bytes (format.h: i64 type, u32 length, u32 pad, text padded to 8). */
static uint64_t count_messages(const struct sysv_msg_rec *m)
{
	uint64_t n = 0;
	for (uint64_t at = 0; m->messages && at + 16 <= m->r.bytes; n++) {
		uint32_t len;
		memcpy(&len, m->messages + at + 8, sizeof(len));
		if (len > m->r.bytes - at - 16)
			break;
		at += 16 + (((uint64_t)len + 7) & ~7ull);
	}
	return n;
}

static void describe_sysv(struct json *j, const struct tree *t)
{
	json_array(j, "sysvShm");
	for (int i = 0; i < t->nr_sysv_shm; i++) {
		const struct cryo_sysv_shm *m = &t->sysv_shm[i].r;
		json_object(j, NULL);
		json_i64(j, "shmid", m->shmid);
		json_i64(j, "key", m->key);
		json_u64(j, "mode", m->mode & 0777);
		json_u64(j, "bytes", m->size);
		json_object_end(j);
	}
	json_array_end(j);
	json_array(j, "sysvSem");
	for (int i = 0; i < t->nr_sysv_sem; i++) {
		const struct cryo_sysv_sem *m = &t->sysv_sem[i].r;
		json_object(j, NULL);
		json_i64(j, "semid", m->semid);
		json_i64(j, "key", m->key);
		json_u64(j, "mode", m->mode & 0777);
		json_u64(j, "semaphores", m->nsems);
		json_object_end(j);
	}
	json_array_end(j);
	json_array(j, "sysvMsg");
	for (int i = 0; i < t->nr_sysv_msg; i++) {
		const struct cryo_sysv_msg *m = &t->sysv_msg[i].r;
		json_object(j, NULL);
		json_i64(j, "msqid", m->msqid);
		json_i64(j, "key", m->key);
		json_u64(j, "mode", m->mode & 0777);
		json_u64(j, "messages", count_messages(&t->sysv_msg[i]));
		json_u64(j, "bytes", m->bytes);
		json_object_end(j);
	}
	json_array_end(j);
}

static void describe_shmem_files(struct json *j, const struct tree *t)
{
	json_array(j, "shmemFiles");
	for (int i = 0; i < t->nr_shmem_files; i++) {
		const struct shmem_file_rec *m = &t->shmem_files[i];
		json_object(j, NULL);
		json_u64(j, "dev", m->r.dev);
		json_u64(j, "ino", m->r.ino);
		json_u64(j, "size", m->r.size);
		json_u64(j, "savedBytes", m->r.flags ? m->data_len : m->r.size);
		json_bool(j, "unlinked", (m->r.flags & CRYO_SHMEM_UNLINKED) != 0);
		json_bool(j, "recreate", (m->r.flags & CRYO_SHMEM_RECREATE) != 0);
		if (m->path)
			json_str(j, "path", m->path);
		json_object_end(j);
	}
	json_array_end(j);
}

static void describe_pool_sockopts(struct json *j, const struct tree *t)
{
	json_array(j, "socketOptions");
	for (int i = 0; i < t->nr_pool_sockopts; i++) {
		const struct pool_sockopts_rec *o = &t->pool_sockopts[i];
		json_object(j, NULL);
		json_u64(j, "ino", o->r.ino);
		if (o->r.backlog)
			json_u64(j, "backlog", o->r.backlog);
		describe_sockopts(j, o->opts, o->len);
		json_object_end(j);
	}
	json_array_end(j);
}

static void describe_resources(struct json *j, const struct tree *t)
{
	json_object(j, "resources");
	describe_pipes(j, t);
	describe_socketpairs(j, t);
	describe_tcp(j, t);
	describe_sysv(j, t);
	describe_shmem_files(j, t);
	describe_pool_sockopts(j, t);
	json_object_end(j);
}

static void describe_tree(FILE *out, const struct image_reader *r, const struct tree *t)
{
	struct json j = { .out = out };
	json_object(&j, NULL);
	describe_file(&j, r, &t->procs[0]);
	json_u64(&j, "processCount", (uint64_t)t->nr);
	json_u64(&j, "hashedFiles", (uint64_t)t->nr_file_hashes);   /* files known by content (FILE_HASHES) */
	json_array(&j, "processes");
	for (int i = 0; i < t->nr; i++)
		describe_process(&j, t, &t->procs[i]);
	json_array_end(&j);
	describe_resources(&j, t);
	json_object_end(&j);
	fputc('\n', out);
}

static int read_and_describe(const char *path, int open_flags, int with_pages, FILE *out, struct cryo_error *e)
{
	struct image_reader r;
	struct tree t;
	if (ir_open_flags(&r, path, open_flags, e))
		return -1;
	int rc = ir_verify_sections(&r, with_pages, e);
	if (!rc)
		rc = tree_read(&r, &t, e);
	if (!rc) {
		describe_tree(out, &r, &t);
		tree_free(&t);
		if (fflush(out) || ferror(out))
			rc = cryo_fail_errno(e, 0, "output", "write", "cannot write the description of %s", path);
	}
	ir_close(&r);
	return rc;
}

int cryo_describe(const char *path, FILE *out, struct cryo_error *e)
{
	return read_and_describe(path, 0, 1, out, e);
}

int cryo_describe_summary(const char *path, FILE *out, struct cryo_error *e)
{
	return read_and_describe(path, O_NOFOLLOW, 0, out, e);
}
