package org.cryo.pbs;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.cryo.scheduler.BatchJob;
import org.cryo.scheduler.JobCatalog;
import org.cryo.scheduler.JobRun;

/**
 * A PBS job recognised from inside: its script and cr_run ({@code PBS_JOBID} with {@code
 * PBS_ENVIRONMENT}), and the MoM's actions, which get the job's id and cookie but no
 * PBS_ENVIRONMENT ({@code PBS_JOBID} with {@code PBS_JOBCOOKIE} or {@code PBS_MOMPORT}).  Torque
 * sets the same variables.  The run is not known from the environment (PBS restarts a job from a
 * checkpoint through the MoM's restart action, and reruns its script after qrerun): a context file
 * in the catalog means a rerun.  The catalog: {@code $CRYO_CHECKPOINT_DIR}, else
 * {@code PBS_O_WORKDIR/.cryo}, which {@code qstat}'s Variable_List gives an administrator too.
 */
final class PbsJobEnvironment {
    /** A job id as PBS writes it: sequence number (array index), server name. */
    static final String JOB_ID = "\\d{1,12}(\\[\\d{0,9}\\])?(\\.[A-Za-z0-9][A-Za-z0-9.-]{0,252})?";

    private PbsJobEnvironment() {
    }

    static Optional<BatchJob> detect(Map<String, String> environment) {
        String jobId = environment.get("PBS_JOBID");
        boolean pbs = environment.containsKey("PBS_ENVIRONMENT") || environment.containsKey("PBS_JOBCOOKIE")
                || environment.containsKey("PBS_MOMPORT");
        if (jobId == null || !jobId.strip().matches(JOB_ID) || !pbs) {
            return Optional.empty();
        }
        return Optional.of(new BatchJob(PbsAdapterProvider.NAME, jobId.strip(), JobRun.unknown(),
                catalogRoot(environment, environment.get("PBS_O_WORKDIR"))));
    }

    /** $CRYO_CHECKPOINT_DIR, else WORKDIR/.cryo (an absolute WORKDIR; else the current directory). */
    static Path catalogRoot(Map<String, String> environment, String workDir) {
        return JobCatalog.defaultRoot(environment,
                Path.of(workDir != null && workDir.startsWith("/") ? workDir : System.getProperty("user.dir")));
    }
}
