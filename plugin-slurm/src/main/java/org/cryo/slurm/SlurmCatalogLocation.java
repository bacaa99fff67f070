package org.cryo.slurm;

import java.nio.file.Path;
import java.util.Map;
import org.cryo.scheduler.JobCatalog;

/**
 * Where a Slurm job's catalog is: the one rule both sides use, the job's cr_run
 * ({@link SlurmJobEnvironment}) and an administrator's {@code cryo slurm} ({@link SlurmJob#status}).
 *
 * <p>{@code $CRYO_CHECKPOINT_DIR} when set (a site-wide setting: the same on both sides; the SPANK
 * plugin's {@code checkpoint_dir=} sets it for every checkpointable job), else {@code .cryo} in the
 * job's WorkDir as Slurm records it: {@code scontrol show job}'s {@code WorkDir} inside the job,
 * slurmrestd's {@code current_working_directory} outside, the same field.  Not
 * {@code SLURM_SUBMIT_DIR}: for a job submitted with {@code --chdir} that is another directory,
 * which the administrator's side cannot know.
 */
public final class SlurmCatalogLocation {
    private SlurmCatalogLocation() {
    }

    /** The catalog root of a job whose recorded WorkDir is {@code workDir} (empty: unknown, taken as /). */
    public static Path root(Map<String, String> environment, String workDir) {
        return JobCatalog.defaultRoot(environment, Path.of(workDir == null || workDir.isEmpty() ? "/" : workDir));
    }
}
