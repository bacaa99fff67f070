/*
 * cryo-engine: the engine as a helper executable.  The Java core runs it for
 * restore, which must fork the restored process and stay its parent; the
 * other subcommands make the engine usable and testable from a shell.
 *
 *   cryo-engine checkpoint [-f FILE] [--tree|--pid|--pgid|--sid] [--stop|--term|--kill|--signal N] [-v|--machine] PID
 *   cryo-engine restore [--no-restore-pid] [--detach] [--relocate OLD=NEW]... [-v] FILE
 *   cryo-engine run --pid-ns [--pid-file FILE] -- CMD [ARGS...]
 *   cryo-engine verify FILE
 *   cryo-engine check PID
 *
 * Errors: one line on stderr, exit 1 (restore: 125, so that the restored
 * process's own exit status stays unambiguous).
 */
#include "cryo/cryo.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr,
		"usage: cryo-engine checkpoint [-f FILE] [--tree|--pid|--pgid|--sid] [--stop|--term|--kill|--signal N] [-v|--machine] PID\n"
		"       cryo-engine restore [--no-restore-pid] [--detach] [--relocate OLD=NEW]... [-v] FILE\n"
		"       cryo-engine run --pid-ns [--pid-file FILE] -- CMD [ARGS...]\n"
		"       cryo-engine verify FILE\n"
		"       cryo-engine check PID\n");
	return 1;
}

static int fail(const char *cmd, const struct cryo_error *e, int status)
{
	fprintf(stderr, "cryo-engine %s: %s\n", cmd, e->msg);
	return status;
}

static int parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v <= 0 || v > 4194304)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

static int cmd_checkpoint(int argc, char **argv)
{
	struct cryo_checkpoint_opts o = {0};
	struct cryo_checkpoint_stats st;
	struct cryo_error e = {0};
	char def[64];
	int verbose = 0, machine = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--machine"))
			machine = 1;
		else if (!strcmp(argv[i], "--tree"))
			o.scope = CRYO_SCOPE_TREE;
		else if (!strcmp(argv[i], "--pid"))
			o.scope = CRYO_SCOPE_PROCESS;
		else if (!strcmp(argv[i], "--pgid"))
			o.scope = CRYO_SCOPE_PGID;
		else if (!strcmp(argv[i], "--sid"))
			o.scope = CRYO_SCOPE_SID;
		else if ((!strcmp(argv[i], "-f") || !strcmp(argv[i], "--file")) && i + 1 < argc)
			o.path = argv[++i];
		else if (!strcmp(argv[i], "--stop"))
			o.end_action = CRYO_END_STOP;
		else if (!strcmp(argv[i], "--term"))
			o.end_action = CRYO_END_TERM;
		else if (!strcmp(argv[i], "--kill"))
			o.end_action = CRYO_END_KILL;
		else if (!strcmp(argv[i], "--signal") && i + 1 < argc) {
			o.end_action = CRYO_END_SIGNAL;
			o.end_signal = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else if (!o.pid && parse_pid(argv[i], &o.pid) == 0)
			continue;
		else
			return usage();
	}
	if (!o.pid)
		return usage();
	if (!o.path) {
		snprintf(def, sizeof(def), "context.%d", o.pid);
		o.path = def;
	}
	/* a file size limit must fail the write, not kill the checkpointer */
	signal(SIGXFSZ, SIG_IGN);
	if (cryo_checkpoint(&o, &st, &e)) {
		if (!machine)
			return fail("checkpoint", &e, 1);
		/* for the Java core: one tab-separated line (api/HelperResult.java) */
		printf("ERROR\t%d\t%d\t%s\t%s\t%s\n", e.pid, e.err, e.resource, e.syscall, e.msg);
		return 1;
	}
	if (machine)
		printf("OK\t%llu\t%llu\t%llu\t%llu\n", (unsigned long long)st.freeze_ns,
		       (unsigned long long)st.total_ns, (unsigned long long)st.page_bytes,
		       (unsigned long long)st.file_size);
	else if (verbose)
		printf("checkpointed %d to %s: %llu bytes (%llu of pages), frozen %.3f s, total %.3f s\n",
		       o.pid, o.path, (unsigned long long)st.file_size, (unsigned long long)st.page_bytes,
		       st.freeze_ns / 1e9, st.total_ns / 1e9);
	return 0;
}

/* Exit the way the restored process did, so a batch script sees its status. */
static int exit_like(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	int sig = WTERMSIG(status);
	signal(sig, SIG_DFL);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	raise(sig);
	return 128 + sig;
}

static int cmd_restore(int argc, char **argv)
{
	struct cryo_restore_opts o = { .restore_pid = 1 };
	struct cryo_relocation rel[64];
	struct cryo_error e = {0};
	int detach = 0, verbose = 0;

	o.relocations = rel;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--no-restore-pid"))
			o.restore_pid = 0;
		else if (!strcmp(argv[i], "--detach"))
			detach = 1;
		else if (!strcmp(argv[i], "-v"))
			verbose = o.verbose = 1;
		else if (!strcmp(argv[i], "--relocate") && i + 1 < argc && o.nr_relocations < 64) {
			char *eq = strchr(argv[++i], '=');
			if (!eq || eq == argv[i]) {
				fprintf(stderr, "cryo-engine restore: --relocate wants OLD=NEW, not %s\n", argv[i]);
				return CRYO_RESTORE_FAILED;
			}
			*eq = 0;
			rel[o.nr_relocations++] = (struct cryo_relocation){ argv[i], eq + 1 };
		} else if (!o.path && argv[i][0] != '-')
			o.path = argv[i];
		else
			return usage(), CRYO_RESTORE_FAILED;
	}
	if (!o.path)
		return usage(), CRYO_RESTORE_FAILED;
	struct cryo_restored rs;
	if (cryo_restore(&o, &rs, &e))
		return fail("restore", &e, CRYO_RESTORE_FAILED);
	pid_t child = rs.root;
	if (verbose || detach)
		fprintf(stderr, "cryo-engine restore: restored %s as PID %d\n", o.path, child);
	if (detach) {
		printf("%d\n", child);
		return 0;
	}
	/* a process group or session may have come back as several roots: wait for them all,
	 * and end as the first one did */
	int status = 0, first = 0;
	for (;;) {
		int st;
		pid_t done = waitpid(-1, &st, 0);
		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			break;
		if (done == rs.parent) {
			status = st;
			first = 1;
		}
	}
	/* under Cryo's init, the init hands the job's own status over as it ends */
	if (first && rs.status_fd >= 0 && read(rs.status_fd, &status, sizeof(status)) != sizeof(status))
		first = 0;
	if (!first)
		return fail("restore", &(struct cryo_error){ .msg = "lost the restored process" }, CRYO_RESTORE_FAILED);
	return exit_like(status);
}

/* The job in its own PID namespace; waits for it and exits with its status. */
static int cmd_run(int argc, char **argv)
{
	struct cryo_error e = {0};
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
	pid_t init;
	if (cryo_run_in_pid_namespace(argv + i + 1, &init, &e))
		return fail("run", &e, 125);
	if (pid_file) {
		FILE *f = fopen(pid_file, "we");
		if (f) {
			fprintf(f, "%d\n", init);
			fclose(f);
		}
	}
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

int main(int argc, char **argv)
{
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
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 2, argv + 2);
	return usage();
}
