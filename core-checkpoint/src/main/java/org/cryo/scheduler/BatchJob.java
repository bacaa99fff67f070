package org.cryo.scheduler;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The batch job the current process runs in, recognised from the variables each scheduler sets:
 * Slurm ({@code SLURM_JOB_ID}, {@code SLURM_RESTART_COUNT}, {@code SLURM_SUBMIT_DIR}),
 * Grid Engine ({@code JOB_ID}, {@code RESTARTED}, {@code SGE_O_WORKDIR}) and PBS
 * ({@code PBS_JOBID}, {@code PBS_O_WORKDIR}; PBS gives no restart count, so a context file in the
 * catalog is what tells a rerun).
 *
 * @param scheduler    "slurm", "gridengine" or "pbs"
 * @param jobId        the job id
 * @param restartCount how many times the job was requeued (-1: the scheduler does not say)
 * @param workDir      the directory the job was submitted from
 */
public record BatchJob(String scheduler, String jobId, int restartCount, Path workDir) {

    public static Optional<BatchJob> detect(Map<String, String> env) {
        if (present(env, "SLURM_JOB_ID")) {
            return Optional.of(new BatchJob("slurm", env.get("SLURM_JOB_ID"),
                    number(env.get("SLURM_RESTART_COUNT")), workDir(env, "SLURM_SUBMIT_DIR")));
        }
        if (present(env, "JOB_ID") && present(env, "SGE_ROOT")) {
            return Optional.of(new BatchJob("gridengine", env.get("JOB_ID"),
                    number(env.get("RESTARTED")), workDir(env, "SGE_O_WORKDIR")));
        }
        if (present(env, "PBS_JOBID")) {
            return Optional.of(new BatchJob("pbs", env.get("PBS_JOBID"), -1, workDir(env, "PBS_O_WORKDIR")));
        }
        return Optional.empty();
    }

    /** Is this a rerun (after a requeue, migration or restart) rather than the first start? */
    public boolean mayBeRerun() {
        return restartCount != 0;
    }

    private static boolean present(Map<String, String> env, String name) {
        String value = env.get(name);
        return value != null && !value.isBlank();
    }

    private static int number(String text) {
        if (text == null || text.isBlank()) {
            return 0;
        }
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Path workDir(Map<String, String> env, String name) {
        return Path.of(present(env, name) ? env.get(name) : System.getProperty("user.dir"));
    }
}
