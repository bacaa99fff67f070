/*
 * cryo-engine: the engine as a helper executable.  The Java core runs it for
 * restore, which must fork the restored process and stay its parent; the
 * other subcommands make the engine usable and testable from a shell.
 *
 *   cryo-engine checkpoint [-f FILE] [--tree|--pid|--pgid|--sid] [--stop|--term|--kill|--hold|--signal N] [-v|--machine] PID
 *   cryo-engine restore [--no-restore-pid] [--[no-]restore-sid] [--[no-]restore-pgid] [--detach] [--lazy] [--as-caller] [--relocate OLD=NEW]... [-v] FILE
 *   cryo-engine run --pid-ns [--pid-file FILE] -- CMD [ARGS...]
 *   cryo-engine verify FILE
 *   cryo-engine info [--json] FILE
 *   cryo-engine check PID
 *   cryo-engine compact FILE OUT     (a chain of incremental files merged into one full file)
 *   cryo-engine parent FILE          (DEPTH and the parent's name: "0" for a full file)
 *
 * Errors: one line on stderr, exit 1 (restore: 125, so that the restored
 * process's own exit status stays unambiguous).
 *
 * checkpoint runs as a front and a tracer (tools/checkpoint_command.c);
 * restore stays the restored processes' parent (tools/restore_command.c).
 */
#include "commands.h"
#include "chain.h"
#include "error.h"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr,
		"usage: cryo-engine checkpoint [-f FILE] [--tree|--pid|--pgid|--sid] [--stop|--term|--kill|--hold|--signal N] [--compress[=zstd[:LEVEL]]] [--incremental] [--parent FILE] [--pre-copy[=N]] [--leaving-node] [-v|--machine] PID\n"
		"       cryo-engine restore [--no-restore-pid] [--[no-]restore-sid] [--[no-]restore-pgid] [--detach] [--lazy] [--as-caller] [--relocate OLD=NEW]... [-v] FILE\n"
		"       cryo-engine run --pid-ns [--pid-file FILE] -- CMD [ARGS...]\n"
		"       cryo-engine verify FILE\n"
		"       cryo-engine info [--json] FILE\n"
		"       cryo-engine check PID\n"
		"       cryo-engine compact FILE OUT\n"
		"       cryo-engine parent FILE\n"
		"       cryo-engine config\n");
	return 1;
}

static int fail(const char *cmd, const struct cryo_error *e, int status)
{
	fprintf(stderr, "cryo-engine %s: %s\n", cmd, e->msg);
	return status;
}

static int cmd_checkpoint(int argc, char **argv)
{
	struct checkpoint_request r = { .prog = "cryo-engine checkpoint", .out_fd = -1, .failed_status = 1 };
	struct cryo_checkpoint_opts *o = &r.o;
	char def[64];

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--machine"))
			r.machine = 1;
		else if (!strcmp(argv[i], "--tree"))
			o->scope = CRYO_SCOPE_TREE;
		else if (!strcmp(argv[i], "--pid"))
			o->scope = CRYO_SCOPE_PROCESS;
		else if (!strcmp(argv[i], "--pgid"))
			o->scope = CRYO_SCOPE_PGID;
		else if (!strcmp(argv[i], "--sid"))
			o->scope = CRYO_SCOPE_SID;
		else if ((!strcmp(argv[i], "-f") || !strcmp(argv[i], "--file")) && i + 1 < argc)
			o->path = argv[++i];
		else if (!strcmp(argv[i], "--stop"))
			o->end_action = CRYO_END_STOP;
		else if (!strcmp(argv[i], "--term"))
			o->end_action = CRYO_END_TERM;
		else if (!strcmp(argv[i], "--kill"))
			o->end_action = CRYO_END_KILL;
		else if (!strcmp(argv[i], "--hold"))
			o->end_action = CRYO_END_HOLD;
		else if (!strcmp(argv[i], "--compress") || !strncmp(argv[i], "--compress=", 11)) {
			struct cryo_error err;
			if (cryo_parse_compress(argv[i][10] ? argv[i] + 11 : NULL, o, &err)) {
				fprintf(stderr, "cryo-engine checkpoint: %s\n", err.msg);
				return 1;
			}
		}
		else if (!strcmp(argv[i], "--signal") && i + 1 < argc) {
			o->end_action = CRYO_END_SIGNAL;
			o->end_signal = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-v"))
			r.verbose = 1;
		else if (!strcmp(argv[i], "--incremental"))
			o->incremental = 1;
		else if (!strcmp(argv[i], "--leaving-node"))
			r.leaving_node = 1;
		else if (!strcmp(argv[i], "--parent") && i + 1 < argc) {
			o->incremental = 1;
			o->parent = argv[++i];
		} else if (!strncmp(argv[i], "--pre-copy", 10) && (!argv[i][10] || argv[i][10] == '='))
			o->pre_copy_rounds = argv[i][10] ? atoi(argv[i] + 11) : CRYO_PRE_COPY_ROUNDS;
		else if (!o->pid && parse_pid(argv[i], &o->pid) == 0)
			continue;
		else
			return usage();
	}
	if (!o->pid)
		return usage();
	if (!o->path) {
		snprintf(def, sizeof(def), "context.%d", o->pid);
		o->path = def;
	}
	return checkpoint_command(&r);
}

static int cmd_restore(int argc, char **argv)
{
	struct restore_request r = { .prog = "cryo-engine restore",
				     .o = { .restore_pid = 1, .restore_sid = 1, .restore_pgid = 1 } };
	struct cryo_restore_opts *o = &r.o;
	struct cryo_relocation rel[64];

	o->relocations = rel;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--no-restore-pid"))
			o->restore_pid = 0;
		else if (!strcmp(argv[i], "--restore-sid") || !strcmp(argv[i], "--no-restore-sid"))
			o->restore_sid = argv[i][2] != 'n';
		else if (!strcmp(argv[i], "--restore-pgid") || !strcmp(argv[i], "--no-restore-pgid"))
			o->restore_pgid = argv[i][2] != 'n';
		else if (!strcmp(argv[i], "--detach"))
			r.detach = 1;
		else if (!strcmp(argv[i], "--lazy"))
			o->lazy = 1;
		else if (!strcmp(argv[i], "--as-caller"))
			o->as_caller = 1;
		else if (!strcmp(argv[i], "-v"))
			o->verbose = 1;
		else if (!strcmp(argv[i], "--relocate") && i + 1 < argc && o->nr_relocations < 64) {
			char *eq = strchr(argv[++i], '=');
			if (!eq || eq == argv[i]) {
				fprintf(stderr, "cryo-engine restore: --relocate wants OLD=NEW, not %s\n", argv[i]);
				return CRYO_RESTORE_FAILED;
			}
			*eq = 0;
			rel[o->nr_relocations++] = (struct cryo_relocation){ argv[i], eq + 1 };
		} else if (!o->path && argv[i][0] != '-')
			o->path = argv[i];
		else
			return usage(), CRYO_RESTORE_FAILED;
	}
	if (!o->path)
		return usage(), CRYO_RESTORE_FAILED;
	return restore_command(&r);
}

/*
 * cmd_run's --pid-file, created so that nothing planted at FILE is ever opened
 * (a privileged cr_run writes it, maybe in a directory others can write): a
 * temporary name is created O_CREAT|O_EXCL|O_NOFOLLOW, 0600, relative to the
 * descriptor of FILE's directory, which must belong to the caller or root and
 * be writable by no one else unless sticky (as /tmp); once the PID is in it,
 * it is renamed onto FILE within that descriptor, replacing (never following)
 * whatever FILE was.
 */
struct pid_file {
	const char *path;
	const char *name;       /* FILE's last component */
	int dir;                /* FILE's directory */
	int fd;                 /* the temporary file */
	char temp[64];
};

static int pid_file_open_directory(struct pid_file *p, struct cryo_error *e)
{
	char dir[4096] = ".";
	const char *slash = strrchr(p->path, '/');
	if (slash == p->path) {
		strcpy(dir, "/");
	} else if (slash) {
		size_t len = (size_t)(slash - p->path);
		if (len >= sizeof dir)
			return cryo_fail(e, 0, "pid file", "open", ENAMETOOLONG, "pid file %s: name too long", p->path);
		memcpy(dir, p->path, len);
		dir[len] = '\0';
	}
	p->name = slash ? slash + 1 : p->path;
	if (!*p->name || !strcmp(p->name, ".") || !strcmp(p->name, ".."))
		return cryo_fail(e, 0, "pid file", "open", EINVAL, "pid file %s: not a file name", p->path);
	p->dir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dir < 0)
		return cryo_fail_errno(e, 0, "pid file", "open", "cannot open the directory of pid file %s: %s",
				       p->path, strerror(errno));
	return 0;
}

static int pid_file_check_directory(const struct pid_file *p, struct cryo_error *e)
{
	struct stat st;
	if (fstat(p->dir, &st))
		return cryo_fail_errno(e, 0, "pid file", "fstat", "cannot stat the directory of pid file %s: %s",
				       p->path, strerror(errno));
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return cryo_fail(e, 0, "pid file", "fstat", EPERM,
				 "refusing pid file %s: its directory belongs to uid %u, not to you or root",
				 p->path, (unsigned)st.st_uid);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
		return cryo_fail(e, 0, "pid file", "fstat", EPERM,
				 "refusing pid file %s: its directory is writable by others and not sticky", p->path);
	return 0;
}

static int pid_file_create(struct pid_file *p, const char *path, struct cryo_error *e)
{
	*p = (struct pid_file){ .path = path, .dir = -1, .fd = -1 };
	if (pid_file_open_directory(p, e) || pid_file_check_directory(p, e))
		return -1;
	snprintf(p->temp, sizeof p->temp, ".cryo-run-%ld.pid.tmp", (long)getpid());
	p->fd = openat(p->dir, p->temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (p->fd < 0)
		return cryo_fail_errno(e, 0, "pid file", "openat", "cannot create pid file %s: %s",
				       p->path, strerror(errno));
	return 0;
}

static int pid_file_commit(struct pid_file *p, pid_t pid, struct cryo_error *e)
{
	char text[32];
	int len = snprintf(text, sizeof text, "%d\n", (int)pid);
	if (write(p->fd, text, (size_t)len) != len)
		return cryo_fail_errno(e, pid, "pid file", "write", "cannot write pid file %s: %s",
				       p->path, strerror(errno));
	if (renameat(p->dir, p->temp, p->dir, p->name))
		return cryo_fail_errno(e, pid, "pid file", "renameat", "cannot rename the pid file into %s: %s",
				       p->path, strerror(errno));
	p->temp[0] = '\0';
	return 0;
}

static void pid_file_close(struct pid_file *p)
{
	if (p->fd >= 0)
		close(p->fd);
	if (p->dir >= 0) {
		if (p->temp[0])
			unlinkat(p->dir, p->temp, 0);
		close(p->dir);
	}
}

/* The job in its own PID namespace; waits for it and exits with its status. */
static int cmd_run(int argc, char **argv)
{
	struct cryo_error e = {0};
	struct pid_file file = { .dir = -1, .fd = -1 };
	const char *pid_file = NULL;
	int i = 0, pid_ns = 0;
	for (; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--pid-ns"))
			pid_ns = 1;
		else if (!strcmp(argv[i], "--pid-file") && i + 1 < argc)
			pid_file = argv[++i];
		else
			return usage();
	}
	if (!pid_ns || i + 1 >= argc)
		return usage();
	/* The pid file first: a job whose PID cannot be recorded must not start. */
	if (pid_file && pid_file_create(&file, pid_file, &e)) {
		pid_file_close(&file);
		return fail("run", &e, 125);
	}
	pid_t init;
	if (cryo_run_in_pid_namespace(argv + i + 1, &init, &e)) {
		pid_file_close(&file);
		return fail("run", &e, 125);
	}
	if (pid_file && pid_file_commit(&file, init, &e)) {
		pid_file_close(&file);
		kill(init, SIGKILL);
		waitpid(init, NULL, 0);
		return fail("run", &e, 125);
	}
	pid_file_close(&file);
	int status;
	while (waitpid(init, &status, 0) < 0)
		if (errno != EINTR)
			return 125;
	return exit_like(status);
}

static int cmd_verify(int argc, char **argv)
{
	struct cryo_error e = {0};
	if (argc != 1)
		return usage();
	if (cryo_verify_file(argv[0], &e))
		return fail("verify", &e, 1);
	return 0;
}

/* JSON is the one form: the text summary is `cryo info`'s (Java), built from this. */
static int cmd_info(int argc, char **argv)
{
	struct cryo_error e = {0};
	if (argc == 2 && !strcmp(argv[0], "--json"))
		argc--, argv++;
	if (argc != 1)
		return usage();
	if (cryo_describe(argv[0], stdout, &e))
		return fail("info", &e, 1);
	return 0;
}

/* A chain of incremental files merged into one full file. */
static int cmd_compact(int argc, char **argv)
{
	struct cryo_error e = {0};
	if (argc != 2)
		return usage();
	if (chain_compact(argv[0], argv[1], CRYO_REPLACE_ATOMIC, NULL, NULL, &e))
		return fail("compact", &e, 1);
	return 0;
}

/* "DEPTH NAME": how many files lie under FILE in its chain and its parent's base name; "0" for a full file. */
static int cmd_parent(int argc, char **argv)
{
	struct cryo_error e = {0};
	char name[256];
	uint32_t depth;
	if (argc != 1)
		return usage();
	if (chain_parent_of(argv[0], name, sizeof(name), &depth, &e))
		return fail("parent", &e, 1);
	printf(depth ? "%u %s\n" : "%u\n", depth, name);
	return 0;
}

static int cmd_check(int argc, char **argv)
{
	struct cryo_error e = {0};
	pid_t pid;
	if (argc != 1 || parse_pid(argv[0], &pid))
		return usage();
	if (cryo_check_target(pid, &e))
		return fail("check", &e, 1);
	return 0;
}

/* The settings the native tools read, as cryo.conf and the environment give them. */
static int cmd_config(int argc, char **argv)
{
	if (argc != 0)
		return usage();
	cryo_config_print(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	guard_mapped_reads();
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "checkpoint"))
		return cmd_checkpoint(argc - 2, argv + 2);
	if (!strcmp(argv[1], "restore"))
		return cmd_restore(argc - 2, argv + 2);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "verify"))
		return cmd_verify(argc - 2, argv + 2);
	if (!strcmp(argv[1], "info"))
		return cmd_info(argc - 2, argv + 2);
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 2, argv + 2);
	if (!strcmp(argv[1], "parent"))
		return cmd_parent(argc - 2, argv + 2);
	if (!strcmp(argv[1], "compact"))
		return cmd_compact(argc - 2, argv + 2);
	if (!strcmp(argv[1], "config"))
		return cmd_config(argc - 2, argv + 2);
	return usage();
}
