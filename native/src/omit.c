/* cr_restart's --omit-* mark (omit.h). */
#include "omit.h"
#include "cryo/cryo.h"
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARK "/memfd:" CRYO_OMIT_MARK

/* The mode pid's mark names, or 0 if it has none. */
static int omit_mode_of(pid_t pid)
{
	char name[64], fdname[300], comm[32] = "", link[128];
	struct cryo_error ignored;
	snprintf(name, sizeof(name), "/proc/%d/comm", pid);
	FILE *f = fopen(name, "re");
	if (!f)
		return 0;
	int is_restarter = fgets(comm, sizeof(comm), f) && !strcmp(comm, "cr_restart\n");
	fclose(f);
	if (!is_restarter)
		return 0;
	snprintf(name, sizeof(name), "/proc/%d/fd", pid);
	DIR *d = opendir(name);
	int mode = 0;
	for (struct dirent *de; d && !mode && (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(fdname, sizeof(fdname), "fd/%s", de->d_name);
		if (proc_readlink(pid, fdname, link, sizeof(link), &ignored) || strncmp(link, MARK, strlen(MARK)))
			continue;
		const char *m = link + strlen(MARK);
		mode = !strncmp(m, "always", 6) ? CRYO_OMIT_ALWAYS : !strncmp(m, "never", 5) ? CRYO_OMIT_NEVER
		       : !strncmp(m, "maybe", 5) ? CRYO_OMIT_MAYBE : 0;
	}
	if (d)
		closedir(d);
	return mode;
}

static int is_orphan(pid_t pid)
{
	struct proc_status st;
	struct cryo_error ignored;
	return proc_read_status(pid, &st, &ignored) == 0 && st.ppid == 1;
}

int omit_leaves_out(pid_t pid, int is_target)
{
	switch (omit_mode_of(pid)) {
	case CRYO_OMIT_ALWAYS:
		return 1;
	case CRYO_OMIT_MAYBE:
		return is_target || is_orphan(pid);
	default:
		return 0;
	}
}

int cryo_mark_omit(int mode)
{
	const char *name = mode == CRYO_OMIT_ALWAYS ? CRYO_OMIT_MARK "always"
			 : mode == CRYO_OMIT_NEVER ? CRYO_OMIT_MARK "never" : CRYO_OMIT_MARK "maybe";
	if (mode < CRYO_OMIT_MAYBE || mode > CRYO_OMIT_NEVER) {
		errno = EINVAL;
		return -1;
	}
	return memfd_create(name, MFD_CLOEXEC);
}
