/*
 * cr_restart: BLCR's command, with BLCR's options, so that batch scripts
 * written for BLCR keep working.  Native, like the engine: a restart costs
 * no JVM start, and cr_restart itself stays the restored job's parent and
 * ends as it does (its exit status, or killed by its signal).  The restore
 * is tools/restore_command.c's.
 */
#include "commands.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROG "cr_restart"
#define MAX_RELOCATIONS 64

static const char help_text[] =
"Usage: cr_restart [OPTIONS] [FILE]\n"
"Restart the processes saved in context file FILE, exactly where they were.\n"
"\n"
"The processes get their PIDs back (their process group and session too, unless\n"
"told otherwise), their memory, open files, pipes, sockets between them, signal\n"
"handlers and threads; a terminal they had is cr_restart's. cr_restart stays the\n"
"parent of the first process and ends as it does: with its exit status, or killed\n"
"by the same signal. A restart that fails leaves nothing running.\n"
"\n"
"General options:\n"
"  -v, --verbose          say how PIDs and credentials come back\n"
"  -q, --quiet            print no error message (the exit status still tells)\n"
"  -h, -?, --help         print this help and exit\n"
"      --version          print the version and exit\n"
"\n"
"Where the context comes from (default: FILE):\n"
"  -f, --file FILE        FILE\n"
"  -F, --fd FD            open descriptor FD (a file, or a pipe: read whole first)\n"
"  -d, --dir DIR          the one context.* file in DIR\n"
"\n"
"Signal sent to every restored process once it runs (the last one given counts):\n"
"      --run              none: they carry on (default)\n"
"  -S, --signal NUM       signal NUM (a number or a name such as USR1)\n"
"      --stop  --term  --abort  --kill  --cont\n"
"                         SIGSTOP, SIGTERM, SIGABRT, SIGKILL, SIGCONT\n"
"\n"
"Identifiers:\n"
"      --restore-pid      the original PIDs and thread ids (default)\n"
"      --no-restore-pid   new ones\n"
"      --restore-pgid     a process that led its process group leads it again (default)\n"
"      --no-restore-pgid  it joins cr_restart's process group\n"
"      --restore-sid      a process that led its session leads it again (default;\n"
"                         batch systems track jobs by session)\n"
"      --no-restore-sid   it joins cr_restart's session (BLCR's default)\n"
"      --as-caller        as root: restart another user's file with root's credentials\n"
"\n"
"Memory:\n"
"      --lazy             run the processes as soon as all but their private anonymous\n"
"                         memory is back; those pages come on first touch, the rest in\n"
"                         the background, from FILE (which may be unlinked meanwhile,\n"
"                         not changed: a page that cannot be read or does not match\n"
"                         its checksum kills the process). cr_restart (with --detach,\n"
"                         its keeper) serves them until they are all in\n"
"\n"
"Files:\n"
"      --relocate OLD=NEW open files recorded under path OLD from NEW instead; whole\n"
"                         leading components only; \\= and \\\\ stand for = and \\\n"
"                         (repeatable, the first match counts); a file read from\n"
"                         must be unchanged: its size, and its content (hashed at\n"
"                         checkpoint time) unless inode and mtime are the same\n"
"\n"
"Failure and success hooks (run by /bin/sh; a hook's non-zero status becomes\n"
"cr_restart's, with no message):\n"
"      --run-on-success=CMD    once the restored processes run (non-zero: return\n"
"                              at once instead of waiting for them)\n"
"      --run-on-fail-args=CMD  bad arguments, the context file missing or unreadable\n"
"      --run-on-fail-temp=CMD  may work later: a PID in use, a resource busy\n"
"      --run-on-fail-env=CMD   a file the processes need is missing or inaccessible\n"
"      --run-on-fail-perm=CMD  will never work: a corrupt context file, another kernel\n"
"      --run-on-failure=CMD    all of the --run-on-fail-* above\n"
"\n"
"Detaching:\n"
"      --detach           print the PID of the first process once it runs, and return;\n"
"                         a keeper process stays its parent and logs (syslog) how it\n"
"                         ended\n"
"      --status-file FILE with --detach: the keeper writes 'exit N' or 'signal N'\n"
"                         there when the job ends (created 0600)\n"
"\n"
"Checkpoints of the restarted processes (cr_restart stays their parent):\n"
"      --omit-maybe       cr_restart is left out of a checkpoint of which it is the\n"
"                         target (its children are saved instead) or when it is an\n"
"                         orphan; else it is saved with them (default)\n"
"      --omit-always      cr_restart is always left out: its children are the roots\n"
"      --omit-never       cr_restart is saved like any process the checkpoint reaches\n"
"\n"
"Exit status: the restored process's, or 125 if the restart itself failed (the\n"
"reason is on stderr), or a hook's.\n";

enum {
	OPT_VERSION = 256, OPT_RUN, OPT_STOP, OPT_TERM, OPT_ABORT, OPT_KILL, OPT_CONT, OPT_RESTORE_PID,
	OPT_NO_RESTORE_PID, OPT_RESTORE_PGID, OPT_NO_RESTORE_PGID, OPT_RESTORE_SID, OPT_NO_RESTORE_SID,
	OPT_AS_CALLER, OPT_RELOCATE, OPT_DETACH, OPT_STATUS_FILE, OPT_OMIT_MAYBE, OPT_OMIT_ALWAYS, OPT_OMIT_NEVER,
	OPT_ON_SUCCESS, OPT_ON_ARGS,
	OPT_ON_TEMP, OPT_ON_ENV, OPT_ON_PERM, OPT_ON_FAILURE, OPT_LAZY,
};

static const struct option long_options[] = {
	{ "verbose", no_argument, 0, 'v' },        { "quiet", no_argument, 0, 'q' },
	{ "help", no_argument, 0, 'h' },           { "version", no_argument, 0, OPT_VERSION },
	{ "file", required_argument, 0, 'f' },     { "fd", required_argument, 0, 'F' },
	{ "dir", required_argument, 0, 'd' },      { "run", no_argument, 0, OPT_RUN },
	{ "signal", required_argument, 0, 'S' },   { "stop", no_argument, 0, OPT_STOP },
	{ "term", no_argument, 0, OPT_TERM },      { "abort", no_argument, 0, OPT_ABORT },
	{ "kill", no_argument, 0, OPT_KILL },      { "cont", no_argument, 0, OPT_CONT },
	{ "restore-pid", no_argument, 0, OPT_RESTORE_PID },
	{ "no-restore-pid", no_argument, 0, OPT_NO_RESTORE_PID },
	{ "restore-pgid", no_argument, 0, OPT_RESTORE_PGID },
	{ "no-restore-pgid", no_argument, 0, OPT_NO_RESTORE_PGID },
	{ "restore-sid", no_argument, 0, OPT_RESTORE_SID },
	{ "no-restore-sid", no_argument, 0, OPT_NO_RESTORE_SID },
	{ "as-caller", no_argument, 0, OPT_AS_CALLER },
	{ "relocate", required_argument, 0, OPT_RELOCATE },
	{ "detach", no_argument, 0, OPT_DETACH },
	{ "lazy", no_argument, 0, OPT_LAZY },
	{ "status-file", required_argument, 0, OPT_STATUS_FILE },
	{ "omit-maybe", no_argument, 0, OPT_OMIT_MAYBE }, { "omit-always", no_argument, 0, OPT_OMIT_ALWAYS },
	{ "omit-never", no_argument, 0, OPT_OMIT_NEVER },
	{ "run-on-success", required_argument, 0, OPT_ON_SUCCESS },
	{ "run-on-fail-args", required_argument, 0, OPT_ON_ARGS },
	{ "run-on-fail-temp", required_argument, 0, OPT_ON_TEMP },
	{ "run-on-fail-env", required_argument, 0, OPT_ON_ENV },
	{ "run-on-fail-perm", required_argument, 0, OPT_ON_PERM },
	{ "run-on-failure", required_argument, 0, OPT_ON_FAILURE },
	{ 0, 0, 0, 0 }
};

struct cli {
	struct restore_request r;
	struct cryo_relocation rel[MAX_RELOCATIONS];
	const char *file, *dir, *status_file;
	int fd;
	char usage[512];            /* a usage error, reported once the hooks are known */
};

static void usage_error(struct cli *c, const char *fmt, const char *what)
{
	if (c->usage[0])
		return;             /* the first one is the one to fix */
	char msg[400];
	snprintf(msg, sizeof(msg), fmt, what);
	snprintf(c->usage, sizeof(c->usage), "%s (see " PROG " --help)", msg);
}

/* BLCR: "\=" is '=' and "\\" is '\' in --relocate; the first bare '=' splits. */
static int split_relocation(char *arg, struct cryo_relocation *out)
{
	char *w = arg, *to = NULL;
	for (char *p = arg; *p; p++) {
		if (*p == '\\' && (p[1] == '=' || p[1] == '\\')) {
			*w++ = *++p;
		} else if (*p == '=' && !to) {
			*w++ = 0;
			to = w;
		} else {
			*w++ = *p;
		}
	}
	*w = 0;
	if (!to || !*arg || !*to)
		return -1;
	*out = (struct cryo_relocation){ arg, to };
	return 0;
}

static void set_hook(struct cli *c, enum restore_hook kind, const char *cmd)
{
	if (kind == NR_RESTORE_HOOKS) {
		for (int k = HOOK_FAIL_ARGS; k < NR_RESTORE_HOOKS; k++)
			c->r.hooks[k] = cmd;
	} else {
		c->r.hooks[kind] = cmd;
	}
}

static void parse_options(int argc, char **argv, struct cli *c)
{
	struct cryo_restore_opts *o = &c->r.o;
	int ch;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":vqhf:F:d:S:", long_options, NULL)) != -1) {
		switch (ch) {
		case 'v': o->verbose = 1; break;
		case 'q': c->r.quiet = 1; break;
		case 'h': fputs(help_text, stdout); exit(0);
		case '?':
			if (!strcmp(argv[optind - 1], "-?")) {
				fputs(help_text, stdout);
				exit(0);
			}
			usage_error(c, "unknown option '%s'", argv[optind - 1]);
			break;
		case ':': usage_error(c, "option '%s' needs a value", argv[optind - 1]); break;
		case OPT_VERSION: printf(PROG " (Cryo) %s\n", CRYO_VERSION_STRING); exit(0);
		case 'f': c->file = optarg; c->fd = -1; c->dir = NULL; break;
		case 'd': c->dir = optarg; c->fd = -1; c->file = NULL; break;
		case 'F': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 0 || v > 1 << 20)
				usage_error(c, "invalid descriptor '%s' for --fd", optarg);
			c->fd = (int)v;
			c->file = c->dir = NULL;
			break;
		}
		case OPT_RUN: o->after_signal = 0; break;
		case OPT_STOP: o->after_signal = SIGSTOP; break;
		case OPT_TERM: o->after_signal = SIGTERM; break;
		case OPT_ABORT: o->after_signal = SIGABRT; break;
		case OPT_KILL: o->after_signal = SIGKILL; break;
		case OPT_CONT: o->after_signal = SIGCONT; break;
		case 'S': {
			int sig = parse_signal(optarg);
			if (sig < 0)
				usage_error(c, "invalid signal '%s' (a number 1-64 or a name such as USR1)", optarg);
			o->after_signal = sig < 0 ? 0 : sig;
			break;
		}
		case OPT_RESTORE_PID: o->restore_pid = 1; break;
		case OPT_NO_RESTORE_PID: o->restore_pid = 0; break;
		case OPT_RESTORE_PGID: o->restore_pgid = 1; break;
		case OPT_NO_RESTORE_PGID: o->restore_pgid = 0; break;
		case OPT_RESTORE_SID: o->restore_sid = 1; break;
		case OPT_NO_RESTORE_SID: o->restore_sid = 0; break;
		case OPT_AS_CALLER: o->as_caller = 1; break;
		case OPT_RELOCATE:
			if (o->nr_relocations == MAX_RELOCATIONS)
				usage_error(c, "too many --relocate (at most %s)", "64");
			else if (split_relocation(optarg, &c->rel[o->nr_relocations]))
				usage_error(c, "invalid --relocate '%s' (expected OLD=NEW)", optarg);
			else
				o->nr_relocations++;
			break;
		case OPT_DETACH: c->r.detach = 1; break;
		case OPT_LAZY: o->lazy = 1; break;
		case OPT_STATUS_FILE: c->status_file = optarg; break;
		case OPT_OMIT_MAYBE: c->r.omit = CRYO_OMIT_MAYBE; break;
		case OPT_OMIT_ALWAYS: c->r.omit = CRYO_OMIT_ALWAYS; break;
		case OPT_OMIT_NEVER: c->r.omit = CRYO_OMIT_NEVER; break;
		case OPT_ON_SUCCESS: set_hook(c, HOOK_SUCCESS, optarg); break;
		case OPT_ON_ARGS: set_hook(c, HOOK_FAIL_ARGS, optarg); break;
		case OPT_ON_TEMP: set_hook(c, HOOK_FAIL_TEMP, optarg); break;
		case OPT_ON_ENV: set_hook(c, HOOK_FAIL_ENV, optarg); break;
		case OPT_ON_PERM: set_hook(c, HOOK_FAIL_PERM, optarg); break;
		case OPT_ON_FAILURE: set_hook(c, NR_RESTORE_HOOKS, optarg); break;
		}
	}
	if (optind < argc) {
		if (c->file || c->dir || c->fd >= 0 || optind + 1 < argc)
			usage_error(c, "one context file only, not '%s' as well", argv[argc - 1]);
		else
			c->file = argv[optind];
	}
	if (!c->file && !c->dir && c->fd < 0)
		usage_error(c, "%s", "no context file given");
	if (c->status_file && !c->r.detach)
		usage_error(c, "%s", "--status-file goes with --detach");
}

/* -d DIR: BLCR meant one file per process there; Cryo's one file is the one context.* in it. */
static int file_in_dir(struct cli *c, char *out, size_t size)
{
	DIR *d = opendir(c->dir);
	if (!d) {
		snprintf(c->usage, sizeof(c->usage), "cannot open directory %s: %s", c->dir, strerror(errno));
		return -1;
	}
	int found = 0;
	for (struct dirent *de; (de = readdir(d));) {
		if (strncmp(de->d_name, "context.", 8) || de->d_type == DT_DIR)
			continue;
		if (found++ == 0)
			snprintf(out, size, "%s/%s", c->dir, de->d_name);
	}
	closedir(d);
	if (found == 1)
		return 0;
	snprintf(c->usage, sizeof(c->usage), found ? "%s holds %d context files: give one with -f"
					     : "%s holds no context.* file", c->dir, found);
	return -1;
}

/*
 * -F FD: a regular file is read through /proc/self/fd/FD; anything else (a
 * pipe, a socket) is first copied whole into a nameless file (the restore
 * reads the context more than once, and checks it whole before anything
 * runs).
 */
static int file_from_fd(struct cli *c, char *out, size_t size)
{
	struct stat st;
	if (fstat(c->fd, &st) < 0) {
		snprintf(c->usage, sizeof(c->usage), "descriptor %d is not open", c->fd);
		return -1;
	}
	int fd = c->fd;
	if (!S_ISREG(st.st_mode)) {
		const char *tmp = getenv("TMPDIR");
		fd = open(tmp && *tmp ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		char buf[1 << 16];
		ssize_t n = 0;
		while (fd >= 0 && (n = read(c->fd, buf, sizeof(buf))) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 || write(fd, buf, (size_t)n) != n)
				break;
		}
		if (fd < 0 || n != 0) {
			snprintf(c->usage, sizeof(c->usage), "cannot read the context from descriptor %d: %s", c->fd,
				 strerror(errno));
			return -1;
		}
	}
	snprintf(out, size, "/proc/self/fd/%d", fd);
	return 0;
}

static int open_status_file(struct cli *c)
{
	c->r.status_fd = -1;
	if (!c->status_file)
		return 0;
	c->r.status_fd = open(c->status_file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (c->r.status_fd < 0) {
		snprintf(c->usage, sizeof(c->usage), "cannot create status file %s: %s", c->status_file, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct cli c = { .fd = -1, .r = { .prog = PROG, .status_fd = -1,
			.o = { .restore_pid = 1, .restore_sid = 1, .restore_pgid = 1 } } };
	char path[4200];
	c.r.o.relocations = c.rel;
	guard_mapped_reads();
	parse_options(argc, argv, &c);
	if (!c.usage[0]) {
		if (c.dir)
			file_in_dir(&c, path, sizeof(path));
		else if (c.fd >= 0)
			file_from_fd(&c, path, sizeof(path));
		else
			snprintf(path, sizeof(path), "%s", c.file);
	}
	if (!c.usage[0])
		open_status_file(&c);
	if (c.usage[0])
		return restore_usage_failure(&c.r, c.usage);
	c.r.o.path = path;
	progress_line_install(PROG, c.r.quiet);
	return restore_command(&c.r);
}
