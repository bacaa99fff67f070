package org.cryo.sge;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.cryo.scheduler.BatchJob;
import org.cryo.scheduler.JobCatalog;
import org.cryo.scheduler.JobRun;

/**
 * A Grid Engine job recognised from inside (its script, cr_run, and the checkpointing
 * environment's commands, which run with the job's environment): {@code JOB_ID} with
 * {@code SGE_ROOT}; the run from {@code RESTARTED} (0 the first start, 1 after a reschedule, 2
 * after a migration through migr_command: not a count, so runs have no id); the catalog in
 * {@code SGE_O_WORKDIR}, the submit directory, which {@code qstat -j} gives an administrator too.
 */
final class SgeJobEnvironment {
    private SgeJobEnvironment() {
    }

    static Optional<BatchJob> detect(Map<String, String> environment) {
        String jobId = environment.get("JOB_ID");
        String root = environment.get("SGE_ROOT");
        if (jobId == null || !jobId.strip().matches("\\d{1,12}") || root == null || root.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new BatchJob(SgeAdapterProvider.NAME, jobId.strip(), run(environment.get("RESTARTED")),
                catalogRoot(environment, environment.get("SGE_O_WORKDIR"))));
    }

    /** RESTARTED: 0 or unset, the first start; 1 or 2, a rerun; anything else, not known (a context tells). */
    static JobRun run(String restarted) {
        String text = restarted == null ? "" : restarted.strip();
        return switch (text) {
            case "", "0" -> new JobRun("", JobRun.Start.FIRST);
            case "1", "2" -> new JobRun("", JobRun.Start.RERUN);
            default -> JobRun.unknown();
        };
    }

    /** $CRYO_CHECKPOINT_DIR, else SGE_O_WORKDIR/.cryo: the same on both sides (QstatXml reads SGE_O_WORKDIR). */
    static Path catalogRoot(Map<String, String> environment, String submitDir) {
        return JobCatalog.defaultRoot(environment,
                Path.of(submitDir != null && submitDir.startsWith("/") ? submitDir : System.getProperty("user.dir")));
    }
}
