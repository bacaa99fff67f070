/* Parsing shared by cryo-engine, cr_checkpoint and cr_restart. */
#include "commands.h"
#include "../mapguard.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v <= 0 || v > 4194304)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

int parse_signal(const char *text)
{
	char *end;
	long v = strtol(text, &end, 10);
	if (*text && !*end)
		return v >= 1 && v <= 64 ? (int)v : -1;
	const char *name = strncasecmp(text, "SIG", 3) ? text : text + 3;
	for (int sig = 1; sig < 32; sig++) {
		const char *abbrev = sigabbrev_np(sig);
		if (abbrev && !strcasecmp(name, abbrev))
			return sig;
	}
	return -1;
}

void guard_mapped_reads(void)
{
	struct cryo_error e;
	const char *hash = getenv("CRYO_MAPPED_HASH");
	if (hash && !strcmp(hash, "pread"))
		return;    /* the tests take the library's own path, as inside a JVM */
	/* if it cannot be installed, the hash reads through pread(): slower, as safe */
	(void)cryo_guard_mapped_reads(&e);
}
