/*
 * cr_checkpoint: BLCR's command, with BLCR's options and defaults, so that
 * batch scripts written for BLCR keep working.  Native, like the engine it
 * drives: a checkpoint costs no JVM start.  The checkpoint itself is
 * tools/checkpoint_command.c's.
 */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROG "cr_checkpoint"

/* Exit statuses (also in --help) */
#define ST_OK     0
#define ST_USAGE  1
#define ST_FAILED 2

static const char help_text[] =
"Usage: cr_checkpoint [OPTIONS] ID\n"
"Save a running process (by default with all its descendants) to a context file.\n"
"\n"
"The processes are frozen for the time it takes to copy their state (registers,\n"
"memory, open files, pipes and sockets between them, signal handlers, threads) and\n"
"then run on, unless a signal option says otherwise. No kernel module and no\n"
"preloaded library are needed: the process need not have been started by cr_run.\n"
"The file is written without a name and given one when complete: a failed or\n"
"interrupted checkpoint (Ctrl-C, a signal, --time) leaves every process running as\n"
"it was and leaves no file. Only your own processes (any, as root) can be saved.\n"
"\n"
"General options:\n"
"  -v, --verbose          print the checkpoint's size and timings (each frozen phase's on stderr)\n"
"  -q, --quiet            print no error message (the exit status still tells)\n"
"  -h, -?, --help         print this help and exit\n"
"      --version          print the version and exit\n"
"\n"
"Scope of the checkpoint (ID is):\n"
"  -T, --tree             a PID: that process and all its descendants (default)\n"
"  -p, --pid, --process   a PID: that process alone\n"
"  -g, --pgid, --group    a process group: every process in it\n"
"  -s, --sid, --session   a session: every process in it\n"
"\n"
"Where the context goes:\n"
"  -c, --cwd              context.ID in the current directory (default)\n"
"  -f, --file FILE        FILE; an existing directory means FILE/context.ID. A\n"
"                         device, FIFO, socket or symbolic link is refused\n"
"  -d, --dir DIR          DIR/context.ID, DIR made (mode 0700) if missing; one file\n"
"                         holds every process of the checkpoint\n"
"  -F, --fd FD            written to open descriptor FD (a pipe, a socket, a file);\n"
"                         the processes end (--kill ...) only once it is all written\n"
"\n"
"An existing file of the same name:\n"
"      --atomic           replaced in one step once the new one is complete (default)\n"
"      --clobber          the same: Cryo never writes into the old file\n"
"      --noclobber        refused: the checkpoint fails and nothing is frozen\n"
"      --backup[=NAME]    kept as NAME (in the same directory), or as FILE.~N~\n"
"\n"
"Signal sent to every process once the context is saved (the last one given counts):\n"
"      --run              none: they carry on (default)\n"
"  -S, --signal NUM       signal NUM (a number or a name such as USR1)\n"
"      --stop             SIGSTOP\n"
"      --term             SIGTERM; cr_checkpoint returns once they are gone\n"
"      --abort            SIGABRT\n"
"      --kill             SIGKILL; cr_checkpoint returns once they are gone\n"
"      --cont             SIGCONT (for processes that were stopped)\n"
"\n"
"Incremental checkpoints and pre-copy:\n"
"      --incremental      save only the pages written since the parent; writes are\n"
"                         tracked in the process from this checkpoint on. Without\n"
"                         --parent the parent is the file already at the name, kept\n"
"                         as FILE.~N~ (none there: a full file that starts a chain)\n"
"      --parent FILE      the parent of an incremental checkpoint\n"
"      --pre-copy[=N]     copy memory while the processes run, up to N rounds\n"
"                         (default 6; fewer once a round copies little), then\n"
"                         freeze them only for what they wrote meanwhile; with\n"
"                         --incremental the file is incremental on the parent too\n"
"cr_restart follows the chain; cryo-engine compact FILE OUT merges it into one file.\n"
"\n"
"Other options:\n"
"  -t, --time SEC         give up after SEC seconds: every process runs on as before\n"
"      --sync, --nosync   accepted; the context file is always flushed to disk\n"
"      --compress[=zstd[:LEVEL]]\n"
"                         compress the memory with zstd (LEVEL -100 to 19, default -50;\n"
"                         negative is faster), block by block on two threads; a\n"
"                         block that does not shrink is stored as it is\n"
"\n"
"Mapped files (options add up; the last --save-all or --save-none resets):\n"
"      --save-none        all by reference (default): the restart maps the files\n"
"                         again, and refuses one changed since (size and content)\n"
"      --save-private     files mapped private (libraries, data files) by content:\n"
"                         every page saved, restored as private anonymous memory;\n"
"                         the restart needs no such file\n"
"      --save-shared      files mapped shared by content: restored mapping a fresh\n"
"                         unlinked copy made in the file's directory (the original\n"
"                         is never written by the restarted job)\n"
"      --save-exe         the executable's mappings by content, as --save-private:\n"
"                         the restart needs no executable file\n"
"      --save-all         all three\n"
"\n"
"Files deleted while open or mapped are saved by content (up to 64 MiB each, more\n"
"with CRYO_DELETED_FILE_MAX=4G) and come back deleted, in their directory. Files\n"
"the restart opens again (the executable, files mapped private, files open for\n"
"reading) get their size and a hash recorded (up to 64 MiB each, another limit\n"
"with CRYO_HASH_FILE_MAX; 1 GiB in all), so that a copy with a new mtime passes\n"
"and a changed file is refused; a larger one is judged by size and mtime.\n"
"\n"
"Exit status: 0 the context was written, 1 usage error, 2 the checkpoint failed\n"
"(the reason is on stderr).\n"
"\n"
"Examples:\n"
"  cr_checkpoint 1234                      save to ./context.1234, leave it running\n"
"  cr_checkpoint --term -f /scratch/job.ctx 1234\n"
"                                          save, then end the process with SIGTERM\n"
"  cr_restart /scratch/job.ctx             carry on from where it was\n";

enum {
	OPT_VERSION = 256, OPT_ATOMIC, OPT_BACKUP, OPT_CLOBBER, OPT_NOCLOBBER, OPT_RUN, OPT_STOP, OPT_TERM,
	OPT_ABORT, OPT_KILL, OPT_CONT, OPT_SYNC, OPT_NOSYNC, OPT_SAVE_NONE, OPT_COMPRESS, OPT_INCREMENTAL, OPT_PARENT, OPT_PRE_COPY,
	OPT_SAVE_ALL, OPT_SAVE_PRIVATE, OPT_SAVE_SHARED, OPT_SAVE_EXE,
};

static const struct option long_options[] = {
	{ "verbose", no_argument, 0, 'v' },      { "quiet", no_argument, 0, 'q' },
	{ "help", no_argument, 0, 'h' },         { "version", no_argument, 0, OPT_VERSION },
	{ "tree", no_argument, 0, 'T' },         { "pid", no_argument, 0, 'p' },
	{ "process", no_argument, 0, 'p' },      { "pgid", no_argument, 0, 'g' },
	{ "group", no_argument, 0, 'g' },        { "sid", no_argument, 0, 's' },
	{ "session", no_argument, 0, 's' },      { "cwd", no_argument, 0, 'c' },
	{ "file", required_argument, 0, 'f' },   { "dir", required_argument, 0, 'd' },
	{ "fd", required_argument, 0, 'F' },     { "atomic", no_argument, 0, OPT_ATOMIC },
	{ "backup", optional_argument, 0, OPT_BACKUP }, { "clobber", no_argument, 0, OPT_CLOBBER },
	{ "noclobber", no_argument, 0, OPT_NOCLOBBER }, { "run", no_argument, 0, OPT_RUN },
	{ "signal", required_argument, 0, 'S' }, { "stop", no_argument, 0, OPT_STOP },
	{ "term", no_argument, 0, OPT_TERM },    { "abort", no_argument, 0, OPT_ABORT },
	{ "kill", no_argument, 0, OPT_KILL },    { "cont", no_argument, 0, OPT_CONT },
	{ "time", required_argument, 0, 't' },   { "sync", no_argument, 0, OPT_SYNC },
	{ "nosync", no_argument, 0, OPT_NOSYNC }, { "save-none", no_argument, 0, OPT_SAVE_NONE },
	{ "compress", optional_argument, 0, OPT_COMPRESS },
	{ "incremental", no_argument, 0, OPT_INCREMENTAL }, { "parent", required_argument, 0, OPT_PARENT },
	{ "pre-copy", optional_argument, 0, OPT_PRE_COPY },
	{ "save-all", no_argument, 0, OPT_SAVE_ALL }, { "save-private", no_argument, 0, OPT_SAVE_PRIVATE },
	{ "save-shared", no_argument, 0, OPT_SAVE_SHARED }, { "save-exe", no_argument, 0, OPT_SAVE_EXE },
	{ 0, 0, 0, 0 }
};

static int usage_error(const char *fmt, const char *what)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, what);
	fprintf(stderr, " (see " PROG " --help)\n");
	return ST_USAGE;
}

static void set_end(struct cryo_checkpoint_opts *o, int action, int sig)
{
	o->end_action = action;
	o->end_signal = sig;
}

static int parse_seconds(const char *text, unsigned *out)
{
	char *end;
	long v = strtol(text, &end, 10);
	if (!*text || *end || v < 0 || v > 86400 * 365)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_fd(const char *text, int *out)
{
	char *end;
	long v = strtol(text, &end, 10);
	if (!*text || *end || v < 0 || v > 1 << 20)
		return -1;
	*out = (int)v;
	return 0;
}

/* -d DIR: made if missing (0700); an existing one must be a directory, not a link to one. */
static int prepare_dir(const char *dir)
{
	struct stat st;
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno == EEXIST && lstat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (errno == EEXIST)
		fprintf(stderr, PROG ": %s exists and is not a directory\n", dir);
	else
		fprintf(stderr, PROG ": cannot make directory %s: %s\n", dir, strerror(errno));
	return -1;
}

static int parse_options(int argc, char **argv, struct checkpoint_request *r, const char **dir)
{
	struct cryo_checkpoint_opts *o = &r->o;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:vqhTpgscf:d:F:S:t:", long_options, NULL)) != -1) {
		switch (c) {
		case 'v': r->verbose = 1; r->o.timing = 1; break;
		case 'q': r->quiet = 1; break;
		case 'h': fputs(help_text, stdout); exit(ST_OK);
		case '?':
			if (!strcmp(argv[optind - 1], "-?")) {
				fputs(help_text, stdout);
				exit(ST_OK);
			}
			return usage_error("unknown option '%s'", argv[optind - 1]);
		case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
		case OPT_VERSION: printf(PROG " (Cryo) %s\n", CRYO_VERSION_STRING); exit(ST_OK);
		case 'T': o->scope = CRYO_SCOPE_TREE; break;
		case 'p': o->scope = CRYO_SCOPE_PROCESS; break;
		case 'g': o->scope = CRYO_SCOPE_PGID; break;
		case 's': o->scope = CRYO_SCOPE_SID; break;
		case 'c': o->path = NULL; *dir = NULL; r->out_fd = -1; break;
		case 'f': o->path = optarg; *dir = NULL; r->out_fd = -1; break;
		case 'd': *dir = optarg; o->path = NULL; r->out_fd = -1; break;
		case 'F':
			if (parse_fd(optarg, &r->out_fd))
				return usage_error("invalid descriptor '%s' for --fd", optarg);
			o->path = NULL;
			*dir = NULL;
			break;
		case OPT_ATOMIC: case OPT_CLOBBER: o->replace = CRYO_REPLACE_ATOMIC; o->backup = NULL; break;
		case OPT_NOCLOBBER: o->replace = CRYO_REPLACE_NEVER; o->backup = NULL; break;
		case OPT_BACKUP: o->replace = CRYO_REPLACE_BACKUP; o->backup = optarg; break;
		case OPT_RUN: set_end(o, CRYO_END_RUNNING, 0); break;
		case OPT_STOP: set_end(o, CRYO_END_STOP, 0); break;
		case OPT_TERM: set_end(o, CRYO_END_TERM, 0); break;
		case OPT_KILL: set_end(o, CRYO_END_KILL, 0); break;
		case OPT_ABORT: set_end(o, CRYO_END_SIGNAL, SIGABRT); break;
		case OPT_CONT: set_end(o, CRYO_END_SIGNAL, SIGCONT); break;
		case 'S': {
			int sig = parse_signal(optarg);
			if (sig < 0)
				return usage_error("invalid signal '%s' (a number 1-64 or a name such as USR1)", optarg);
			set_end(o, CRYO_END_SIGNAL, sig);
			break;
		}
		case 't':
			if (parse_seconds(optarg, &r->time_limit))
				return usage_error("invalid time '%s' for --time (seconds)", optarg);
			break;
		case OPT_SYNC: case OPT_NOSYNC: break;
		case OPT_COMPRESS: {
			struct cryo_error err;
			if (cryo_parse_compress(optarg, o, &err))
				return usage_error("%s", err.msg);
			break;
		}
		case OPT_INCREMENTAL: o->incremental = 1; break;
		case OPT_PARENT: o->incremental = 1; o->parent = optarg; break;
		case OPT_PRE_COPY: {
			unsigned rounds = CRYO_PRE_COPY_ROUNDS;
			if (optarg && (parse_seconds(optarg, &rounds) || rounds < 1 || rounds > 16))
				return usage_error("invalid rounds '%s' for --pre-copy (1 to 16)", optarg);
			o->pre_copy_rounds = (int)rounds;
			break;
		}
		case OPT_SAVE_NONE: o->save_by_content = 0; break;
		case OPT_SAVE_ALL: o->save_by_content = CRYO_SAVE_ALL; break;
		case OPT_SAVE_PRIVATE: o->save_by_content |= CRYO_SAVE_PRIVATE; break;
		case OPT_SAVE_SHARED: o->save_by_content |= CRYO_SAVE_SHARED; break;
		case OPT_SAVE_EXE: o->save_by_content |= CRYO_SAVE_EXE; break;
		}
	}
	if (optind == argc)
		return usage_error("%s", "no ID given: which process to checkpoint?");
	if (optind + 1 < argc)
		return usage_error("one ID only, not '%s' as well", argv[optind + 1]);
	if (parse_pid(argv[optind], &o->pid))
		return usage_error("invalid ID '%s' (a process, group or session number)", argv[optind]);
	if (r->out_fd >= 0 && o->pre_copy_rounds)
		return usage_error("%s", "--pre-copy writes a file, not to a descriptor");
	if (r->out_fd >= 0 && o->incremental && !o->parent)
		return usage_error("%s", "--incremental to a descriptor needs --parent FILE");
	if (r->out_fd >= 0 && o->replace != CRYO_REPLACE_ATOMIC)
		return usage_error("%s", "--noclobber and --backup are for files, not for --fd");
	return ST_OK;
}

int main(int argc, char **argv)
{
	struct checkpoint_request r = { .prog = PROG, .out_fd = -1, .failed_status = ST_FAILED };
	const char *dir = NULL;
	char path[4096];
	int rc = parse_options(argc, argv, &r, &dir);
	if (rc)
		return rc;
	if (dir) {
		if (prepare_dir(dir))
			return ST_FAILED;
		r.o.path = dir;
	} else if (!r.o.path) {
		snprintf(path, sizeof(path), "context.%d", r.o.pid);
		r.o.path = path;
	} else if (r.o.path[0] && r.o.path[strlen(r.o.path) - 1] == '/') {
		/* "missing/" is a directory that is missing, never a file named "missing" */
		snprintf(path, sizeof(path), "%scontext.%d", r.o.path, r.o.pid);
		r.o.path = path;
	}
	progress_line_install(PROG, r.quiet);
	return checkpoint_command(&r);
}
