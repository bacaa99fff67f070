/*
 * A checkpoint as a command runs it: two processes.  The one started (by a
 * user, a script, or the Java core) is a front: it forks the tracer, passes
 * on every catchable signal it gets, waits for it and exits with its status
 * (the tracer writes to the same stdout and stderr).  The tracer lives in a
 * process group of its own, so a terminal's Ctrl-C reaches the front only,
 * and gets SIGTERM from the kernel when the front dies, SIGKILL included
 * (PR_SET_PDEATHSIG); the front likewise when its own parent dies.  Any such
 * signal stops the checkpoint through its failure path: before the commit
 * point (the file under its final name) nothing is left and every process
 * runs on as before; after it, the checkpoint completes.  Why two: a tracer
 * killed outright leaves its tracees as they stand, and nothing of ours can
 * tidy up after it; a front killed outright leaves a tracer that can.
 */
#include "commands.h"
#include "nodelocal.h"
#include "config.h"
#include "interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* flags 0 (no SA_RESTART) in the tracer with -F: a write blocked on the
 * descriptor must return when a stop is asked for */
static void handle_stop_signals_flags(void (*handler)(int), int flags)
{
	struct sigaction sa = { .sa_handler = handler, .sa_flags = flags };
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < NR_STOP_SIGNALS; i++)
		sigaction(stop_signals[i], &sa, NULL);
}

static void handle_stop_signals(void (*handler)(int))
{
	handle_stop_signals_flags(handler, SA_RESTART);
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

static void say(const struct checkpoint_request *r, const char *fmt, const char *msg)
{
	if (!r->quiet)
		fprintf(stderr, fmt, r->prog, msg);
}

static int report_lost_tracer(const struct checkpoint_request *r, pid_t pid, int status)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "the checkpointing process %d was killed by signal %d (%s): its processes were let go as they "
		 "stood; a temporary file it left is removed by the next checkpoint into that directory", (int)pid,
		 WTERMSIG(status), strsignal(WTERMSIG(status)));
	if (r->machine)
		printf("ERROR\t%d\t%d\tcheckpoint\t\t%s\n", (int)pid, EINTR, msg);
	else
		say(r, "%s: %s\n", msg);
	return r->failed_status;
}

/* ---- --hold: the caller decides once the file is committed ---- */

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

/* ---- -F FD: the context to a descriptor ---- */

/*
 * The context is written as usual, to a file in a directory of our own
 * (mode 0700), and copied to the descriptor while every process is still
 * frozen (CRYO_END_HOLD): only a complete copy lets the end action (--kill)
 * go ahead; a failed one (a closed pipe, a full disk) lets the processes run
 * on as before.  The private file goes either way.
 */
struct to_fd {
	int fd;
	int end_signal;             /* what the caller asked for once the context is safe */
	char dir[64];
	char file[96];
	int copy_errno;             /* 0: copied */
};

/* A blocked write (a pipe nobody reads) ends at -t's alarm or a stop signal. */
static int stopped_meanwhile(void)
{
	if (!interrupt_signal())
		return 0;
	errno = EINTR;
	return 1;
}

static int copy_all(int in, int out)
{
	for (;;) {
		ssize_t n = sendfile(out, in, NULL, 1 << 20);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR && stopped_meanwhile())
			return -1;
		if (errno == EINTR)
			continue;
		if (errno != EINVAL && errno != ENOSYS)
			return -1;
		break;                  /* sendfile cannot write there: read and write */
	}
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0 && errno == EINTR && stopped_meanwhile())
			return -1;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR && stopped_meanwhile())
				return -1;
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -1;
			off += w;
		}
	}
}

static int copy_to_fd(void *arg)
{
	struct to_fd *t = arg;
	int in = open(t->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0 || copy_all(in, t->fd) < 0)
		t->copy_errno = errno ? errno : EIO;
	if (in >= 0)
		close(in);
	unlink(t->file);
	return t->copy_errno ? 0 : t->end_signal;
}

static int end_signal_of(const struct cryo_checkpoint_opts *o)
{
	switch (o->end_action) {
	case CRYO_END_STOP:
		return SIGSTOP;
	case CRYO_END_TERM:
		return SIGTERM;
	case CRYO_END_KILL:
		return SIGKILL;
	case CRYO_END_SIGNAL:
		return o->end_signal;
	default:
		return 0;
	}
}

static int prepare_to_fd(struct checkpoint_request *r, struct to_fd *t)
{
	struct stat st;
	if (fstat(r->out_fd, &st) < 0 || (fcntl(r->out_fd, F_GETFL) & O_ACCMODE) == O_RDONLY) {
		char msg[128];
		snprintf(msg, sizeof(msg), "descriptor %d is not open for writing", r->out_fd);
		say(r, "%s: %s\n", msg);
		return -1;
	}
	const char *tmp = getenv("TMPDIR");
	snprintf(t->dir, sizeof(t->dir), "%s/cryo-fd.XXXXXX", tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (!mkdtemp(t->dir)) {
		say(r, "%s: cannot make a private directory for the context: %s\n", strerror(errno));
		return -1;
	}
	snprintf(t->file, sizeof(t->file), "%s/context", t->dir);
	t->fd = r->out_fd;
	t->end_signal = end_signal_of(&r->o);
	r->o.path = t->file;
	r->o.end_action = CRYO_END_HOLD;
	r->o.hold = copy_to_fd;
	r->o.hold_arg = t;
	return 0;
}

/* ---- the tracer ---- */

static void print_failure(const struct checkpoint_request *r, const struct cryo_error *e)
{
	if (r->machine)
		printf("ERROR\t%d\t%d\t%s\t%s\t%s\n", e->pid, e->err, e->resource, e->syscall, e->msg);
	else
		say(r, "%s: %s\n", e->msg);
}

/* -t SEC: the alarm stops the checkpoint like any other signal; say why. */
static void explain_time_limit(const struct checkpoint_request *r, struct cryo_error *e)
{
	if (r->time_limit && interrupt_signal() == SIGALRM && e->err == EINTR)
		snprintf(e->msg, sizeof(e->msg), "checkpoint of %d not done within %u s (--time): abandoned, "
			 "every process runs on as before and no file is left", r->o.pid, r->time_limit);
}

/*
 * --incremental without --parent: the file already under the final name is
 * the parent.  It gets a second name first, NAME.~N~ (a hard link, as
 * --backup makes), and the chain records that name, so that replacing NAME
 * with the new file keeps the chain whole.  Nothing there: a full file.
 */
static int link_previous_as_parent(struct checkpoint_request *r, char *parent, size_t size)
{
	char final[4096];
	struct stat st;
	const char *path = r->o.path;
	if (!r->o.incremental || r->o.parent || r->out_fd >= 0 || !path)
		return 0;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(final, sizeof(final), "%s/context.%d", path, r->o.pid);
	else
		snprintf(final, sizeof(final), "%s", path);
	if (lstat(final, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	for (unsigned n = 1; n < 100000; n++) {
		snprintf(parent, size, "%s.~%u~", final, n);
		if (link(final, parent) == 0) {
			r->o.parent = parent;
			return 1;
		}
		if (errno != EEXIST) {
			fprintf(stderr, "%s: cannot keep %s as the parent of the incremental checkpoint (link: %s)\n", r->prog,
				final, strerror(errno));
			return -1;
		}
	}
	return -1;
}

static void say_incremental(const struct checkpoint_request *r, const struct cryo_checkpoint_stats *st, FILE *out)
{
	if (r->o.incremental && r->o.parent && !st->pre_copy_rounds)
		fprintf(out, "%s: incremental on %s: %llu bytes of pages left to it (%d process(es) by the write tracker, "
			"%d by page hashes)\n", r->prog, r->o.parent, (unsigned long long)st->parent_bytes, st->tracked,
			st->hashed);
	if (st->pre_copy_rounds)
		fprintf(out, "%s: pre-copy: %d round(s) while running, frozen %.1f ms in all (%.1f ms the rounds' stops, "
			"%.1f ms the last)\n", r->prog, st->pre_copy_rounds, st->freeze_ns / 1e6,
			(st->freeze_ns - st->last_freeze_ns) / 1e6, st->last_freeze_ns / 1e6);
}

/* checkpoint.compression of cryo.conf (none, zstd, zstd:LEVEL) where the command line said nothing. */
static int configured_compression(struct checkpoint_request *r, struct cryo_error *e)
{
	const char *v = cryo_config_value("checkpoint.compression", NULL);
	if (r->o.compress || !v || !strcmp(v, "none"))
		return 0;
	if (cryo_parse_compress(v, &r->o, e)) {
		snprintf(e->msg, sizeof(e->msg), "checkpoint.compression = %.200s in cryo.conf (or $CRYO_COMPRESSION): "
			 "not none, zstd or zstd:LEVEL", v);
		return -1;
	}
	return 0;
}

static int checkpoint_in_tracer(struct checkpoint_request *r)
{
	struct cryo_checkpoint_stats st;
	struct cryo_error e = {0};
	static struct to_fd t = { .fd = -1 };     /* the hold callback's, for the one checkpoint of this process */
	if (r->out_fd >= 0 && prepare_to_fd(r, &t))
		return r->failed_status;
	if (configured_compression(r, &e)) {
		print_failure(r, &e);
		return r->failed_status;
	}
	char parent[4096 + 16];
	int linked = link_previous_as_parent(r, parent, sizeof(parent));
	if (linked < 0)
		return r->failed_status;
	if (r->time_limit)
		alarm(r->time_limit);
	int rc = cryo_checkpoint(&r->o, &st, &e);
	alarm(0);
	if (rc && linked)
		unlink(parent);         /* the old file keeps its one name */
	if (t.dir[0]) {
		unlink(t.file);
		rmdir(t.dir);
	}
	if (!rc && t.copy_errno) {
		rc = -1;
		e = (struct cryo_error){ .pid = r->o.pid, .err = t.copy_errno };
		snprintf(e.msg, sizeof(e.msg), "cannot write the context of %d to descriptor %d (%s): every process "
			 "runs on as before", r->o.pid, t.fd, strerror(t.copy_errno));
	}
	if (rc) {
		explain_time_limit(r, &e);
		log_event(r->prog, 1, r->o.pid, t.dir[0] ? "(descriptor)" : r->o.path, "checkpoint failed: %s", e.msg);
		print_failure(r, &e);
		return r->failed_status;
	}
	log_event(r->prog, 0, r->o.pid, t.dir[0] ? "(descriptor)" : r->o.path,
		  "checkpoint ok: %llu bytes, frozen %.3f s, total %.3f s", (unsigned long long)st.file_size,
		  st.freeze_ns / 1e9, st.total_ns / 1e9);
	if (r->machine)
		printf("OK\t%llu\t%llu\t%llu\t%llu\n", (unsigned long long)st.freeze_ns,
		       (unsigned long long)st.total_ns, (unsigned long long)st.page_bytes,
		       (unsigned long long)st.file_size);
	else if (r->verbose)
		fprintf(r->out_fd == STDOUT_FILENO ? stderr : stdout,
			"%s: checkpointed %d to %s: %llu bytes (%llu of pages), frozen %.3f s, total %.3f s\n",
			r->prog, r->o.pid, t.dir[0] ? "the descriptor" : r->o.path, (unsigned long long)st.file_size,
			(unsigned long long)st.page_bytes, st.freeze_ns / 1e9, st.total_ns / 1e9);
	if (!r->machine && r->verbose)
		say_incremental(r, &st, r->out_fd == STDOUT_FILENO ? stderr : stdout);
	return 0;
}

/* ---- the front ---- */

int checkpoint_command(struct checkpoint_request *r)
{
	pid_t front = getpid(), parent = getppid();
	struct cryo_error refused;
	/* before anything is frozen: a refused job runs on untouched */
	if (r->leaving_node && nodelocal_check_tree(r->o.pid, r->o.path, &refused)) {
		print_failure(r, &refused);
		return r->failed_status;
	}
	if (r->o.end_action == CRYO_END_HOLD)
		r->o.hold = hold_for_decision;
	/* a file size limit must fail the write, not kill the checkpointer */
	signal(SIGXFSZ, SIG_IGN);
	block_stop_signals(SIG_BLOCK);
	handle_stop_signals(pass_on_to_tracer);
	if (parent != 1 && die_with_parent(parent)) {
		say(r, "%s: %s\n", "the command that started it has ended: nothing done");
		return r->failed_status;
	}
	fflush(stdout);
	pid_t child = fork();
	if (child < 0) {
		say(r, "%s: cannot start the tracer (fork: %s)\n", strerror(errno));
		return r->failed_status;
	}
	if (child == 0) {
		setpgid(0, 0);
		/* out of the terminal's foreground group: its one line must not stop it (tostop) */
		signal(SIGTTOU, SIG_IGN);
		handle_stop_signals_flags(ask_tracer_to_stop, r->out_fd >= 0 ? 0 : SA_RESTART);
		if (die_with_parent(front))
			cryo_request_interrupt(SIGTERM);
		block_stop_signals(SIG_UNBLOCK);
		exit(checkpoint_in_tracer(r));
	}
	tracer_pid = child;
	block_stop_signals(SIG_UNBLOCK);
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return r->failed_status;
	return WIFEXITED(status) ? WEXITSTATUS(status) : report_lost_tracer(r, child, status);
}
