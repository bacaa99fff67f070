package org.cryo.scheduler;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The batch job the current process runs in, as the provider of its scheduler recognises it from
 * the environment the scheduler gives the job ({@link SchedulerAdapterProvider#detect}).  The core
 * knows no scheduler's variables: {@link #detect} asks every provider on the class path.
 *
 * @param scheduler   the provider's name ("slurm")
 * @param jobId       the scheduler's job id
 * @param run         which run of the job this is
 * @param catalogRoot the root of the job's catalog: the same directory the provider's adapter
 *                    gives for the job from the scheduler's record ({@link JobStatus#catalogRoot}),
 *                    so that cr_run and an administrator's command meet in one place
 */
public record BatchJob(String scheduler, String jobId, JobRun run, Path catalogRoot) {

    /** The job this process runs in, from the first provider (by scheduler name) that recognises one. */
    public static Optional<BatchJob> detect(Map<String, String> environment) {
        for (SchedulerAdapterProvider provider : SchedulerAdapterProvider.all()) {
            Optional<BatchJob> job = provider.detect(environment);
            if (job.isPresent()) {
                return job;
            }
        }
        return Optional.empty();
    }
}
