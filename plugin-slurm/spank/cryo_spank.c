/*
 * cryo_spank.c - Slurm SPANK plugin: `sbatch --checkpoint=INTERVAL [--checkpoint-keep=N]` (and srun)
 * as in the BLCR days, with Cryo underneath.
 *
 * plugstack.conf:  optional /usr/lib/cryo/plugin-slurm/spank/22.05/cryo_spank.so cryo=/usr/lib/cryo
 *   cryo=DIR            the Cryo installation (bin/cr_run, plugin-slurm/bin/); required
 *   checkpoint_dir=DIR  CRYO_CHECKPOINT_DIR for every checkpointable job (the site's catalog)
 *   signal=SIG          the signal the job's --signal=B:SIG@N sends (default USR1)
 *
 * Where each callback runs (spank(8)):
 *   sbatch, salloc (allocator), srun (local), slurmstepd (remote): slurm_spank_init registers the
 *     options, so each of them parses and checks them: a bad value is refused where it is typed,
 *     by the callback's -1 (Slurm prints "Invalid --checkpoint argument: VALUE" and submits nothing).
 *   slurmstepd, in each task after it became the job's user (slurm_spank_task_init): a task of a
 *     job with an interval is started as `cryo-spank-task ARGV...` instead of ARGV: the batch
 *     script of a batch job, or the one task of a step srun started outside a batch job.  Slurm
 *     23.11+ has spank_prepend_task_argv for that; before it, argv[0] (the array slurmstepd is about
 *     to execve, in the task's own copy of the process) becomes the wrapper and the original goes to
 *     the wrapper in CRYO_SPANK_ARGV0.
 * The wrapper (plugin-slurm/bin/cryo-spank-task) runs the task under cr_run: periodic checkpoints,
 * a restart from the latest context when Slurm runs the job again, and for the batch script
 * cr_run_requeueable's trap (checkpoint and requeue on the --signal sent before the time limit
 * or at preemption).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

SPANK_PLUGIN(cryo, 1);

#define WRAPPER_PATH "/plugin-slurm/bin/cryo-spank-task"
/* A year: longer intervals are certainly typos (and keep the arithmetic far from overflow). */
#define MAX_INTERVAL_SECONDS (366L * 24 * 3600)
#define MAX_KEEP 10000

enum option_id { OPT_CHECKPOINT = 1, OPT_CHECKPOINT_KEEP = 2 };

/* What the options and plugstack.conf said; one process (sbatch, srun, slurmstepd) each. */
static long interval_seconds;           /* 0: not checkpointable */
static long keep_count;                 /* 0: cr_run's default */
static char cryo_home[PATH_MAX];
static char checkpoint_dir[PATH_MAX];
static char warn_signal[16] = "USR1";

static int checkpoint_option(int val, const char *optarg, int remote);

static struct spank_option checkpoint_options[] = {
    { "checkpoint", "INTERVAL",
      "Checkpoint the job with Cryo every INTERVAL (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS; "
      "0: never) and restart it from the latest context when it is requeued",
      1, OPT_CHECKPOINT, checkpoint_option },
    { "checkpoint-keep", "N", "Keep the job's last N context files (default 3)",
      1, OPT_CHECKPOINT_KEEP, checkpoint_option },
    SPANK_OPTIONS_TABLE_END
};

/* A decimal number of at most 9 digits (so sums and products of a few stay in a long). */
static int parse_field(const char *text, size_t length, long *value)
{
    if (length == 0 || length > 9)
        return -1;
    long result = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        result = result * 10 + (text[i] - '0');
    }
    *value = result;
    return 0;
}

/* Splits text at ':' into at most `max` numbers; returns how many, or -1. */
static int parse_colon_fields(const char *text, long *fields, int max)
{
    int count = 0;
    const char *start = text;
    for (;;) {
        const char *colon = strchr(start, ':');
        size_t length = colon ? (size_t)(colon - start) : strlen(start);
        if (count == max || parse_field(start, length, &fields[count]) < 0)
            return -1;
        count++;
        if (!colon)
            return count;
        start = colon + 1;
    }
}

/*
 * Slurm's time forms (as --time takes them): "minutes", "minutes:seconds",
 * "hours:minutes:seconds", "days-hours", "days-hours:minutes", "days-hours:minutes:seconds".
 * Returns 0 and the seconds, or -1.
 */
int cryo_spank_parse_interval(const char *text, long *seconds)
{
    long fields[3], days = 0, total;
    if (text == NULL || *text == '\0')
        return -1;
    const char *dash = strchr(text, '-');
    if (dash) {
        if (parse_field(text, (size_t)(dash - text), &days) < 0)
            return -1;
        int count = parse_colon_fields(dash + 1, fields, 3);
        if (count < 1)
            return -1;
        long hours = fields[0], minutes = count > 1 ? fields[1] : 0, secs = count > 2 ? fields[2] : 0;
        total = ((days * 24 + hours) * 60 + minutes) * 60 + secs;
    } else {
        int count = parse_colon_fields(text, fields, 3);
        if (count == 1)
            total = fields[0] * 60;
        else if (count == 2)
            total = fields[0] * 60 + fields[1];
        else if (count == 3)
            total = (fields[0] * 60 + fields[1]) * 60 + fields[2];
        else
            return -1;
    }
    if (total > MAX_INTERVAL_SECONDS)
        return -1;
    *seconds = total;
    return 0;
}

/* A positive count of at most MAX_KEEP. */
int cryo_spank_parse_keep(const char *text, long *keep)
{
    long value;
    if (text == NULL || parse_field(text, strlen(text), &value) < 0 || value < 1 || value > MAX_KEEP)
        return -1;
    *keep = value;
    return 0;
}

/*
 * Called wherever the option is parsed: sbatch/srun (remote == 0), where -1 refuses the
 * submission with Slurm's one line "Invalid --checkpoint argument: VALUE", and slurmstepd.
 */
static int checkpoint_option(int val, const char *optarg, int remote)
{
    if (val == OPT_CHECKPOINT)
        return cryo_spank_parse_interval(optarg, &interval_seconds);
    if (val == OPT_CHECKPOINT_KEEP)
        return cryo_spank_parse_keep(optarg, &keep_count);
    return -1;
}

/* Copies "NAME=VALUE"'s VALUE when arg starts with "NAME="; 1 if it did, 0 if another name, -1 if too long. */
static int plugin_argument(const char *arg, const char *name, char *value, size_t size)
{
    size_t length = strlen(name);
    if (strncmp(arg, name, length) != 0 || arg[length] != '=')
        return 0;
    const char *text = arg + length + 1;
    if (strlen(text) >= size || *text == '\0')
        return -1;
    strcpy(value, text);
    return 1;
}

/* plugstack.conf's arguments; an unknown one is an error (a typo would otherwise go unnoticed). */
static int read_plugin_arguments(int ac, char **av)
{
    for (int i = 0; i < ac; i++) {
        int found = plugin_argument(av[i], "cryo", cryo_home, sizeof(cryo_home));
        if (found == 0)
            found = plugin_argument(av[i], "checkpoint_dir", checkpoint_dir, sizeof(checkpoint_dir));
        if (found == 0)
            found = plugin_argument(av[i], "signal", warn_signal, sizeof(warn_signal));
        if (found <= 0) {
            slurm_error("cryo_spank: plugstack.conf argument '%s' is %s (cryo=DIR, checkpoint_dir=DIR, signal=SIG)",
                        av[i], found < 0 ? "empty or too long" : "unknown");
            return -1;
        }
    }
    if (strncmp(warn_signal, "SIG", 3) == 0)
        memmove(warn_signal, warn_signal + 3, strlen(warn_signal + 3) + 1);
    return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
    if (read_plugin_arguments(ac, av) < 0)
        return -1;
    for (struct spank_option *opt = checkpoint_options; opt->name; opt++) {
        spank_err_t rc = spank_option_register(sp, opt);
        if (rc != ESPANK_SUCCESS) {
            slurm_error("cryo_spank: cannot register --%s: %s", opt->name, spank_strerror(rc));
            return -1;
        }
    }
    return 0;
}

static int set_task_env(spank_t sp, const char *name, const char *value)
{
    spank_err_t rc = spank_setenv(sp, name, value, 1);
    if (rc != ESPANK_SUCCESS) {
        slurm_error("cryo_spank: cannot set %s for the job's task: %s", name, spank_strerror(rc));
        return -1;
    }
    return 0;
}

/* The wrapper's settings, in the task's environment (which srun steps of the job inherit). */
static int export_settings(spank_t sp, const char *mode)
{
    char number[32];
    snprintf(number, sizeof(number), "%lds", interval_seconds);
    if (set_task_env(sp, "CRYO_SPANK_INTERVAL", number) < 0 || set_task_env(sp, "CRYO_SPANK_MODE", mode) < 0
        || set_task_env(sp, "CRYO_SPANK_SIGNAL", warn_signal) < 0)
        return -1;
    if (keep_count > 0) {
        snprintf(number, sizeof(number), "%ld", keep_count);
        if (set_task_env(sp, "CRYO_SPANK_KEEP", number) < 0)
            return -1;
    }
    if (checkpoint_dir[0] && set_task_env(sp, "CRYO_CHECKPOINT_DIR", checkpoint_dir) < 0)
        return -1;
    return 0;
}

/* ARGV becomes WRAPPER ARGV for the execve that follows task_init. */
static int wrap_task_argv(spank_t sp, const char *wrapper)
{
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 11, 0)
    const char *prefix[] = { wrapper, NULL };
    spank_err_t rc = spank_prepend_task_argv(sp, 1, prefix);
    if (rc != ESPANK_SUCCESS) {
        slurm_error("cryo_spank: cannot start the task under Cryo: spank_prepend_task_argv: %s", spank_strerror(rc));
        return -1;
    }
    return 0;
#else
    /* Before 23.11 the task's argv is the step's array (S_JOB_ARGV), in this forked task's own
     * memory: its first word is replaced (the array cannot grow), the original goes by environment. */
    int argc = 0;
    char **argv = NULL;
    spank_err_t rc = spank_get_item(sp, S_JOB_ARGV, &argc, &argv);
    if (rc != ESPANK_SUCCESS || argc < 1 || argv == NULL || argv[0] == NULL) {
        slurm_error("cryo_spank: cannot start the task under Cryo: no task argv (%s)", spank_strerror(rc));
        return -1;
    }
    if (set_task_env(sp, "CRYO_SPANK_ARGV0", argv[0]) < 0)
        return -1;
    char *copy = strdup(wrapper);
    if (copy == NULL) {
        slurm_error("cryo_spank: cannot start the task under Cryo: %s", strerror(errno));
        return -1;
    }
    argv[0] = copy;   /* the old word stays allocated: execve follows */
    return 0;
#endif
}

/*
 * "batch", "step", or NULL when this task runs as it is.  A step of several tasks runs as it is,
 * with a warning: an `optional` plugin cannot fail a task (Slurm ignores its errors).
 */
static const char *task_mode(spank_t sp)
{
    uint32_t step_id = 0, tasks = 0;
    char inherited[8];
    if (spank_get_item(sp, S_JOB_STEPID, &step_id) != ESPANK_SUCCESS)
        return NULL;
    if (step_id == SLURM_BATCH_SCRIPT)
        return "batch";
    if (step_id >= SLURM_MAX_NORMAL_STEP_ID)
        return NULL;   /* extern, interactive and other special steps */
    /* A step srun started inside a checkpointable batch job inherits its options: the batch
     * script's cr_run owns the job's catalog, so the step runs as it is. */
    if (spank_getenv(sp, "CRYO_SPANK_MODE", inherited, sizeof(inherited)) == ESPANK_SUCCESS)
        return NULL;
    if (spank_get_item(sp, S_JOB_TOTAL_TASK_COUNT, &tasks) != ESPANK_SUCCESS || tasks != 1) {
        slurm_error("cryo: --checkpoint: a step of %u tasks is not checkpointable (one process tree per job:"
                    " use one task, or sbatch --checkpoint): it runs as it is", tasks);
        return NULL;
    }
    return "step";
}

/* In each task, as the job's user, just before slurmstepd execs it. */
int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
    if (interval_seconds <= 0 || !spank_remote(sp))
        return 0;
    const char *mode = task_mode(sp);
    if (mode == NULL)
        return 0;
    char wrapper[PATH_MAX];
    if (cryo_home[0] == '\0') {
        slurm_error("cryo: --checkpoint: plugstack.conf gives cryo_spank.so no cryo=DIR (the Cryo installation)");
        return -1;
    }
    if ((size_t)snprintf(wrapper, sizeof(wrapper), "%s%s", cryo_home, WRAPPER_PATH) >= sizeof(wrapper)
        || access(wrapper, X_OK) != 0) {
        slurm_error("cryo: --checkpoint: cannot run %s: %s", wrapper, strerror(errno ? errno : ENAMETOOLONG));
        return -1;
    }
    if (export_settings(sp, mode) < 0 || wrap_task_argv(sp, wrapper) < 0)
        return -1;
    return 0;
}
