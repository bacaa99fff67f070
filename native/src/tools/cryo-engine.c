/*
 * cryo-engine: the engine as a helper executable.  The Java core runs it for
 * restore, which must fork the restored process and stay its parent; the
 * other subcommands make the engine usable and testable from a shell.
 *
 *   cryo-engine checkpoint [-f FILE] [--tree|--pid|--pgid|--sid] [--stop|--term|--kill|--signal N] [-v|--machine] PID
 *   cryo-engine restore [--no-restore-pid] [--detach] [--as-caller] [--relocate OLD=NEW]... [-v] FILE
 *   cryo-engine run --pid-ns [--pid-file FILE] -- CMD [ARGS...]
 *   cryo-engine verify FILE
 *   cryo-engine check PID
 *
 * Errors: one line on stderr, exit 1 (restore: 125, so that the restored
 * process's own exit status stays unambiguous).
 */
#include "cryo/cryo.h"

#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr,
		"usage: cryo-engine checkpoint [-f FILE] [--tree|--pid|--pgid|--sid] [--stop|--term|--kill|--signal N] [-v|--machine] PID\n"
		"       cryo-engine restore [--no-restore-pid] [--detach] [--as-caller] [--relocate OLD=NEW]... [-v] FILE\n"
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

/* ---- signals around a restore ----
 * While the tree is built, a catchable signal stops the restore (it kills
 * and reaps what it started, exits 125 "interrupted by signal N").  Once the
 * tree runs, these are passed on to the restored root, as BLCR's cr_restart
 * did.  If the command that started us (cr_restart) dies, a restore still
 * building stops; a job already running runs on, with this engine still its
 * parent: a line on stderr and in syslog says so, and another says how the
 * job ended. */
static const int relayed_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
static volatile pid_t relay_to;          /* the restored root, once it runs */
static pid_t starter;                    /* our parent when we started */
static volatile sig_atomic_t starter_died;

static void on_relayed_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!relay_to)
		cryo_restore_interrupt(sig);
	else if (si->si_code != SI_KERNEL)   /* a terminal's signal reached the job's process group itself */
		kill(relay_to, sig);
}

/* The parent-death signal comes when the thread that started us ends:
 * only a new parent means the starter itself is gone. */
static void on_parent_death(int sig)
{
	(void)sig;
	if (getppid() == starter)
		return;
	starter_died = 1;
	if (!relay_to)
		cryo_restore_interrupt(CRYO_INTERRUPT_PARENT_DIED);
}

static int catch_signals_for_restore(void)
{
	struct sigaction sa = { .sa_sigaction = on_relayed_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(relayed_signals) / sizeof(relayed_signals[0]); i++)
		sigaction(relayed_signals[i], &sa, NULL);
	struct sigaction pd = { .sa_handler = on_parent_death };     /* no SA_RESTART: the wait loop must see it */
	sigemptyset(&pd.sa_mask);
	sigaction(SIGRTMIN, &pd, NULL);
	starter = getppid();
	prctl(PR_SET_PDEATHSIG, SIGRTMIN);
	return getppid() == starter ? 0 : -1;    /* it died before the signal was armed */
}

/* Both on stderr (if anyone still reads it) and in syslog (LOG_USER). */
static void tell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void tell(const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "cryo-engine restore: %s\n", line);
	openlog("cryo-engine", LOG_PID, LOG_USER);
	syslog(LOG_NOTICE, "%s", line);
}

static void say_starter_died(const char *path, pid_t root)
{
	tell("the command that started the restart (PID %d) died; the job restarted from %s (PID %d) runs on, "
	     "this engine (PID %d) stays its parent", starter, path, root, getpid());
}

static void say_job_ended(const char *path, pid_t root, int status)
{
	if (WIFEXITED(status))
		tell("the job restarted from %s (PID %d) ended with exit status %d", path, root, WEXITSTATUS(status));
	else
		tell("the job restarted from %s (PID %d) ended by signal %d", path, root, WTERMSIG(status));
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
		else if (!strcmp(argv[i], "--as-caller"))
			o.as_caller = 1;
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
	if (catch_signals_for_restore())
		return fail("restore", &(struct cryo_error){ .msg = "interrupted: the command that started the restart died" },
			    CRYO_RESTORE_FAILED);
	struct cryo_restored rs;
	if (cryo_restore(&o, &rs, &e))
		return fail("restore", &e, CRYO_RESTORE_FAILED);
	pid_t child = rs.root;
	relay_to = detach ? 0 : child;
	int late = cryo_restore_take_interrupt();        /* came while the tree was being let go */
	if (late > 0 && !detach)
		kill(child, late);
	if (verbose || detach)
		fprintf(stderr, "cryo-engine restore: restored %s as PID %d\n", o.path, child);
	if (detach) {
		printf("%d\n", child);
		return 0;
	}
	/* a process group or session may have come back as several roots: wait for them all,
	 * and end as the first one did */
	int status = 0, first = 0, told = 0;
	for (;;) {
		int st;
		if (starter_died && !told++)
			say_starter_died(o.path, child);
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
	/* under Cryo's init, the init hands the job's own status over as it ends;
	 * an init that was killed (the job checkpointed with --kill) ends us the same way */
	int job_status;
	if (first && rs.status_fd >= 0 && read(rs.status_fd, &job_status, sizeof(job_status)) == sizeof(job_status))
		status = job_status;
	if (!first)
		return fail("restore", &(struct cryo_error){ .msg = "lost the restored process" }, CRYO_RESTORE_FAILED);
	if (starter_died)
		say_job_ended(o.path, child, status);
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
