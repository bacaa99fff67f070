/*
 * cryo-engine: the engine as a helper executable.  The Java core runs it for
 * restore, which must fork the restored process and stay its parent; the
 * other subcommands make the engine usable and testable from a shell.
 *
 *   cryo-engine checkpoint [-f FILE] [--tree|--pid|--pgid|--sid] [--stop|--term|--kill|--hold|--signal N] [-v|--machine] PID
 *   cryo-engine restore [--no-restore-pid] [--[no-]restore-sid] [--[no-]restore-pgid] [--detach] [--as-caller] [--relocate OLD=NEW]... [-v] FILE
 *   cryo-engine run --pid-ns [--pid-file FILE] -- CMD [ARGS...]
 *   cryo-engine verify FILE
 *   cryo-engine info [--json] FILE
 *   cryo-engine check PID
 *
 * Errors: one line on stderr, exit 1 (restore: 125, so that the restored
 * process's own exit status stays unambiguous).
 *
 * checkpoint runs as two processes.  The one started (by a user, or by
 * cr_checkpoint's JVM) is a front: it forks the tracer, passes on every
 * catchable signal it gets, waits for it and exits with its status (the
 * tracer writes to the same stdout and stderr).  The tracer lives in a
 * process group of its own, so a terminal's Ctrl-C reaches the front only,
 * and gets SIGTERM from the kernel when the front dies, SIGKILL included
 * (PR_SET_PDEATHSIG); the front likewise when its own parent dies.  Any such
 * signal stops the checkpoint through its failure path: before the commit
 * point (the file under its final name) nothing is left and every process
 * runs on as before; after it, the checkpoint completes.  Why two: a tracer
 * killed outright leaves its tracees as they stand, and nothing of ours can
 * tidy up after it; a front killed outright leaves a tracer that can.
 */
#include "cryo/cryo.h"
#include "error.h"
#include "interrupt.h"

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
		"usage: cryo-engine checkpoint [-f FILE] [--tree|--pid|--pgid|--sid] [--stop|--term|--kill|--hold|--signal N] [-v|--machine] PID\n"
		"       cryo-engine restore [--no-restore-pid] [--[no-]restore-sid] [--[no-]restore-pgid] [--detach] [--as-caller] [--relocate OLD=NEW]... [-v] FILE\n"
		"       cryo-engine run --pid-ns [--pid-file FILE] -- CMD [ARGS...]\n"
		"       cryo-engine verify FILE\n"
		"       cryo-engine info [--json] FILE\n"
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

/* ---- checkpoint: a front and the tracer it forks (see the top) ---- */

/* Every signal whose default would end the engine and that a handler can catch. */
static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2,
				    SIGXCPU, SIGALRM, SIGVTALRM, SIGPROF, SIGPWR, SIGSTKFLT };
#define NR_STOP_SIGNALS ((int)(sizeof(stop_signals) / sizeof(stop_signals[0])))

static volatile pid_t tracer_pid;

static void pass_on_to_tracer(int sig)
{
	if (tracer_pid > 0)
		kill(tracer_pid, sig);
}

static void ask_tracer_to_stop(int sig)
{
	cryo_request_interrupt(sig);
}

static void handle_stop_signals(void (*handler)(int))
{
	struct sigaction sa = { .sa_handler = handler, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < NR_STOP_SIGNALS; i++)
		sigaction(stop_signals[i], &sa, NULL);
}

static void block_stop_signals(int how)
{
	sigset_t set;
	sigemptyset(&set);
	for (int i = 0; i < NR_STOP_SIGNALS; i++)
		sigaddset(&set, stop_signals[i]);
	sigprocmask(how, &set, NULL);
}

/* Armed, then checked: a parent that died before the prctl sends nothing. */
static int die_with_parent(pid_t parent)
{
	return prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent ? -1 : 0;
}

static int checkpoint_in_tracer(const struct cryo_checkpoint_opts *o, int verbose, int machine);
static int hold_for_decision(void *arg);

static int report_lost_tracer(pid_t pid, int status, int machine)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "the checkpointing process %d was killed by signal %d (%s): its processes were let go as they "
		 "stood; a temporary file it left is removed by the next checkpoint into that directory", (int)pid,
		 WTERMSIG(status), strsignal(WTERMSIG(status)));
	if (machine)
		printf("ERROR\t%d\t%d\tcheckpoint\t\t%s\n", (int)pid, EINTR, msg);
	else
		fprintf(stderr, "cryo-engine checkpoint: %s\n", msg);
	return 1;
}

static int run_front(const struct cryo_checkpoint_opts *o, int verbose, int machine)
{
	pid_t front = getpid(), parent = getppid();
	/* a file size limit must fail the write, not kill the checkpointer */
	signal(SIGXFSZ, SIG_IGN);
	block_stop_signals(SIG_BLOCK);
	handle_stop_signals(pass_on_to_tracer);
	if (parent != 1 && die_with_parent(parent)) {
		fprintf(stderr, "cryo-engine checkpoint: the command that started it has ended: nothing done\n");
		return 1;
	}
	fflush(stdout);
	pid_t child = fork();
	if (child < 0) {
		fprintf(stderr, "cryo-engine checkpoint: cannot start the tracer (fork: %s)\n", strerror(errno));
		return 1;
	}
	if (child == 0) {
		setpgid(0, 0);
		/* out of the terminal's foreground group: its one line must not stop it (tostop) */
		signal(SIGTTOU, SIG_IGN);
		handle_stop_signals(ask_tracer_to_stop);
		if (die_with_parent(front))
			cryo_request_interrupt(SIGTERM);
		block_stop_signals(SIG_UNBLOCK);
		exit(checkpoint_in_tracer(o, verbose, machine));
	}
	tracer_pid = child;
	block_stop_signals(SIG_UNBLOCK);
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : report_lost_tracer(child, status, machine);
}

static int cmd_checkpoint(int argc, char **argv)
{
	struct cryo_checkpoint_opts o = {0};
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
		else if (!strcmp(argv[i], "--hold")) {
			o.end_action = CRYO_END_HOLD;
			o.hold = hold_for_decision;
		}
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
	return run_front(&o, verbose, machine);
}

/* How long --hold keeps a tree frozen without a decision: then it runs on. */
#define HOLD_MAX_SECONDS 600

/*
 * --hold: the context file is committed and every process is still frozen
 * under our ptrace.  Say so ("HELD" line on stdout) and read the caller's
 * decision from stdin: "KILL" ends the tree; anything else, end of input (the
 * caller died), a signal to stop, or no answer within HOLD_MAX_SECONDS lets it
 * run on exactly as before.  A vacate holds the job this way while it asks the
 * scheduler to requeue it: nothing of the job runs meanwhile, not even after a
 * SIGCONT the scheduler sends, and a failed requeue harms nothing.
 */
static int hold_for_decision(void *arg)
{
	(void)arg;
	printf("HELD\n");
	fflush(stdout);
	char line[16] = "";
	size_t len = 0;
	for (int waited = 0; waited < HOLD_MAX_SECONDS * 5 && !interrupt_signal();) {
		struct pollfd in = { .fd = STDIN_FILENO, .events = POLLIN };
		int ready = poll(&in, 1, 200);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			return 0;
		if (ready == 0) {
			waited++;
			continue;
		}
		ssize_t n = read(STDIN_FILENO, line + len, sizeof(line) - 1 - len);
		if (n <= 0)
			return 0;
		len += (size_t)n;
		line[len] = '\0';
		if (strchr(line, '\n') || len == sizeof(line) - 1)
			return !strcmp(line, "KILL\n") ? SIGKILL : 0;
	}
	return 0;
}

/* The tracer's part: the checkpoint itself, and its one line of output. */
static int checkpoint_in_tracer(const struct cryo_checkpoint_opts *co, int verbose, int machine)
{
	struct cryo_checkpoint_opts o = *co;
	struct cryo_checkpoint_stats st;
	struct cryo_error e = {0};
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
static volatile sig_atomic_t root_in_our_group;   /* a terminal's signals to our group reach it too */
static pid_t starter;                    /* our parent when we started */
static volatile sig_atomic_t starter_died;

static void on_relayed_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!relay_to)
		cryo_restore_interrupt(sig);
	else if (si->si_code != SI_KERNEL || !root_in_our_group)   /* a terminal's signal reached the job's group itself */
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
	struct cryo_restore_opts o = { .restore_pid = 1, .restore_sid = 1, .restore_pgid = 1 };
	struct cryo_relocation rel[64];
	struct cryo_error e = {0};
	int detach = 0, verbose = 0;

	o.relocations = rel;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--no-restore-pid"))
			o.restore_pid = 0;
		else if (!strcmp(argv[i], "--restore-sid") || !strcmp(argv[i], "--no-restore-sid"))
			o.restore_sid = argv[i][2] != 'n';
		else if (!strcmp(argv[i], "--restore-pgid") || !strcmp(argv[i], "--no-restore-pgid"))
			o.restore_pgid = argv[i][2] != 'n';
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
	root_in_our_group = getpgid(child) == getpgrp();
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
	if (!strcmp(argv[1], "info"))
		return cmd_info(argc - 2, argv + 2);
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 2, argv + 2);
	return usage();
}
