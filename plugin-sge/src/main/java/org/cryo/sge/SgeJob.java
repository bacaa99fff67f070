package org.cryo.sge;

import java.nio.file.Path;
import java.util.List;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.JobStatus;

/**
 * A Grid Engine job as {@code qstat -xml} shows it (one array task: Cryo checkpoints ordinary jobs).
 *
 * @param jobId          the job number
 * @param owner          its user
 * @param states         qstat's state letters ("r", "s", "Rr", "hqw", "Rq", "dr", ...); "" when qstat lists it nowhere
 * @param hosts          the execution hosts of its queue instances (empty unless running)
 * @param workDir        the submitter's working directory ({@code SGE_O_WORKDIR})
 * @param checkpointName the checkpointing environment it was submitted with ({@code qsub -ckpt}), "" if none
 * @param restartable    {@code qsub -r y} (or the queue's rerun default)
 */
public record SgeJob(String jobId, String owner, String states, List<String> hosts, Path workDir,
                     String checkpointName, boolean restartable) {
    public SgeJob {
        hosts = List.copyOf(hosts);
    }

    /**
     * Cryo's view, with the catalog where cr_run puts it ({@code environment}'s
     * $CRYO_CHECKPOINT_DIR, else SGE_O_WORKDIR/.cryo).  qstat's letters: d deleted, E error, h hold,
     * r running, R restarted, s/S/T suspended (job, queue, threshold), q queued, w waiting, t
     * transferring.  Runs have no id: RESTARTED (0, 1, 2) is only in the job's environment.
     */
    public JobStatus status(java.util.Map<String, String> environment) {
        return new JobStatus(jobId, state(), states.isEmpty() ? "unknown" : states, owner,
                state().isActive() ? hosts : List.of(), SgeJobEnvironment.catalogRoot(environment, workDir.toString()),
                "", restartable);
    }

    JobState state() {
        if (states.isEmpty() || states.contains("d")) {
            return states.isEmpty() ? JobState.FINISHED : JobState.OTHER;
        }
        if (states.contains("E")) {
            return JobState.OTHER;
        }
        if (states.contains("q") || states.contains("w")) {
            return states.contains("h") ? JobState.HELD : JobState.PENDING;
        }
        if (states.contains("s") || states.contains("S") || states.contains("T")) {
            return JobState.SUSPENDED;
        }
        if (states.contains("r") || states.contains("t")) {
            return JobState.RUNNING;
        }
        return JobState.OTHER;
    }
}
