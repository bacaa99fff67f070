/* See nodelocal.h. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include "config.h"
#include "error.h"
#include "nodelocal.h"
#include "proc.h"

/* The variables naming a directory an MPI keeps files in by name, and whose. */
static const struct session_variable {
	const char *name;
	const char *what;
} session_variables[] = {
	{ "OMPI_MCA_orte_tmpdir_base", "Open MPI's session directory" },
	{ "OMPI_MCA_prte_tmpdir_base", "Open MPI's session directory" },
	{ "PRTE_MCA_prte_tmpdir_base", "PRRTE's session directory" },
	/* what the launcher gave the ranks: the session directory actually in use */
	{ "PMIX_SERVER_TMPDIR", "PMIx's session directory" },
};

static const struct fs_type {
	long magic;
	const char *name;
} local_types[] = {
	{ 0x01021994, "tmpfs" },     { 0x858458f6, "ramfs" },     { 0xEF53, "ext4" },
	{ 0x58465342, "xfs" },       { 0x9123683E, "btrfs" },     { 0x794c7630, "overlayfs" },
	{ 0x2fc12fc1, "zfs" },       { 0xF2F52010, "f2fs" },      { 0x958458f6, "hugetlbfs" },
};

const char *nodelocal_type(long f_type)
{
	for (size_t i = 0; i < sizeof(local_types) / sizeof(local_types[0]); i++)
		if (local_types[i].magic == f_type)
			return local_types[i].name;
	return NULL;
}

int nodelocal_listed(const char *path, const char *list)
{
	if (!list)
		return 0;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ":");
		while (n > 1 && p[n - 1] == '/')
			n--;   /* "/scratch/" is "/scratch" */
		if (n > 0 && p[0] == '/' && !strncmp(path, p, n) && (path[n] == 0 || path[n] == '/' || n == 1))
			return 1;
		p += strcspn(p, ":");
		if (*p == ':')
			p++;
	}
	return 0;
}

/* statfs and stat of path as process pid sees it, or of its nearest existing
 * parent (a session directory is made when the job starts). */
static int stat_in_root(pid_t pid, const char *path, struct statfs *fs, struct stat *st)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "/proc/%d/root%s", pid, path) >= (int)sizeof(buf))
		return -1;
	size_t floor = strlen(buf) - strlen(path);
	for (;;) {
		if (statfs(buf, fs) == 0 && stat(buf, st) == 0)
			return 0;
		char *slash = strrchr(buf + floor, '/');
		if (!slash || slash == buf + floor)
			return -1;
		*slash = 0;
	}
}

/* The file system the context file goes to: shared by construction. */
static int context_device(const char *context, dev_t *dev)
{
	char dir[PATH_MAX];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s", context);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	if (stat(dir, &st) != 0)
		return -1;
	*dev = st.st_dev;
	return 0;
}

static int check_value(pid_t pid, const struct session_variable *v, const char *path, const dev_t *context_dev,
		       struct cryo_error *e)
{
	struct statfs fs;
	struct stat st;
	if (path[0] != '/' || stat_in_root(pid, path, &fs, &st) != 0)
		return 0;   /* relative or unreachable: nothing to judge it by */
	const char *type = nodelocal_type((long)fs.f_type);
	if (!type || (context_dev && st.st_dev == *context_dev))
		return 0;
	if (nodelocal_listed(path, cryo_config_value("files.shared.paths", NULL)))
		return 0;
	/* errno 0: nothing failed, the directory is where it cannot move from (the syscall says how it was told) */
	return cryo_fail(e, pid, path, "statfs", 0,
			 "process %d keeps %s (%s=%s) on %s, which is node-local: a restart on another node would"
			 " not find it (put it on shared storage, leave it to cr_run, or list it in files.shared.paths)",
			 pid, v->what, v->name, path, type);
}

static int check_process(pid_t pid, const dev_t *context_dev, struct cryo_error *e)
{
	char *env;
	size_t len;
	struct cryo_error ignored;
	if (proc_read(pid, "environ", &env, &len, &ignored))
		return 0;   /* gone meanwhile, or a zombie: the checkpoint itself tells */
	int rc = 0;
	for (size_t off = 0; off < len && !rc; off += strlen(env + off) + 1) {
		const char *entry = env + off;
		for (size_t i = 0; i < sizeof(session_variables) / sizeof(session_variables[0]) && !rc; i++) {
			size_t n = strlen(session_variables[i].name);
			if (!strncmp(entry, session_variables[i].name, n) && entry[n] == '=')
				rc = check_value(pid, &session_variables[i], entry + n + 1, context_dev, e);
		}
	}
	free(env);
	return rc;
}

/* The children of thread tid of pid, each checked with its own subtree. */
static int check_children_of_thread(pid_t pid, const char *tid, const dev_t *context_dev, int depth,
				    struct cryo_error *e);

/* pid, then every descendant (the children of each of its threads), depth first; the depth is bounded. */
static int check_subtree(pid_t pid, const dev_t *context_dev, int depth, struct cryo_error *e)
{
	if (depth > 64)
		return 0;
	if (check_process(pid, context_dev, e))
		return -1;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *dir = opendir(path);
	if (!dir)
		return 0;   /* gone meanwhile */
	int rc = 0;
	for (struct dirent *d; !rc && (d = readdir(dir));)
		if (d->d_name[0] != '.')
			rc = check_children_of_thread(pid, d->d_name, context_dev, depth, e);
	closedir(dir);
	return rc;
}

static int check_children_of_thread(pid_t pid, const char *tid, const dev_t *context_dev, int depth,
				    struct cryo_error *e)
{
	char name[80], *list = NULL;
	snprintf(name, sizeof(name), "task/%s/children", tid);
	struct cryo_error ignored;
	if (proc_read(pid, name, &list, NULL, &ignored))
		return 0;
	int rc = 0;
	for (char *p = list, *end; *p && !rc; p = end) {
		long child = strtol(p, &end, 10);
		if (end == p)
			break;
		if (child > 0)
			rc = check_subtree((pid_t)child, context_dev, depth + 1, e);
	}
	free(list);
	return rc;
}

int nodelocal_check_tree(pid_t root, const char *context, struct cryo_error *e)
{
	dev_t dev;
	int have_dev = context && context_device(context, &dev) == 0;
	return check_subtree(root, have_dev ? &dev : NULL, 0, e);
}
