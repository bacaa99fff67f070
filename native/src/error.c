#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * Messages quote paths, command names and host names from context files and
 * from the target's /proc, which a user chooses: a control character in one
 * must reach the operator's terminal (or the Java core's tab-separated
 * --machine line) as text, never as a control.  C0 controls and DEL become
 * \xNN; so does any byte that is not part of well-formed UTF-8 (a lone 0x9b is
 * CSI on a Latin-1 terminal), and the C1 controls U+0080..U+009F are written
 * \u00NN.  One line, always.  Returns the length written.
 */
static size_t utf8_sequence_length(const unsigned char *p)
{
	int n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] < 0xe0 ? 2 : 0;
	if (p[0] >= 0xf5)
		return 0;
	for (int i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return (size_t)n;
}

static size_t escape_controls(char *out, size_t size, const char *in)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && n + 7 < size;) {
		size_t len = *p < 0x80 ? 1 : utf8_sequence_length(p);
		if (*p < 0x20 || *p == 0x7f || len == 0) {
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", *p);
			p++;
		} else if (len == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
			n += (size_t)snprintf(out + n, size - n, "\\u%04x", p[1]);
			p += 2;
		} else {
			memcpy(out + n, p, len);
			n += len;
			p += len;
		}
	}
	out[n] = 0;
	return n;
}

int cryo_fail(struct cryo_error *e, int pid, const char *resource,
	      const char *syscall, int err, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	e->err = err;
	e->pid = pid;
	snprintf(e->resource, sizeof(e->resource), "%s", resource ? resource : "");
	snprintf(e->syscall, sizeof(e->syscall), "%s", syscall ? syscall : "");

	size_t n = escape_controls(e->msg, sizeof(e->msg), what);
	if (n < sizeof(e->msg) && syscall && *syscall && err)
		snprintf(e->msg + n, sizeof(e->msg) - n, " (%s: %s)", syscall, strerror(err));
	else if (n < sizeof(e->msg) && err)
		snprintf(e->msg + n, sizeof(e->msg) - n, " (%s)", strerror(err));
	return -1;
}
