package org.cryo.slurm;

import org.cryo.api.SafeText;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.api.EndAction;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.scheduler.JobCatalog;
import org.cryo.scheduler.JobCheckpointer;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.SchedulerAdapter;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;

/**
 * Cryo's Slurm adapter: job state through slurmrestd ({@link SlurmApi}), requeue/hold/drain through
 * {@code scontrol} ({@link SlurmCommands}), checkpoints on the job's node through
 * {@link JobCheckpointer}.  The mapping of Slurm actions to these is in plugin-slurm/README.md.
 */
public final class SlurmAdapter implements SchedulerAdapter {
    /** How long a requeued job may take to finish its old run and become eligible again. */
    private static final long ELIGIBLE_WAIT_MILLIS = 60_000;

    private final SlurmApi api;
    private final SlurmCommands scontrol;
    private final JobCheckpointer checkpointer;
    private final SlurmPermissions permissions;
    private final Map<String, String> environment;

    SlurmAdapter(SlurmApi api, SlurmCommands scontrol, JobCheckpointer checkpointer, SlurmPermissions permissions,
                 Map<String, String> environment) {
        this.api = api;
        this.scontrol = scontrol;
        this.checkpointer = checkpointer;
        this.permissions = permissions;
        this.environment = Map.copyOf(environment);
    }

    @Override
    public String scheduler() {
        return "slurm";
    }

    @Override
    public String apiVersion() {
        return "slurmrestd " + api.version();
    }

    public SlurmApi api() {
        return api;
    }

    @Override
    public JobStatus job(String jobId) throws SchedulerException {
        return api.job(validJobId(jobId)).status();
    }

    @Override
    public List<JobStatus> jobsOn(String node) throws SchedulerException {
        List<JobStatus> jobs = new ArrayList<>();
        for (SlurmJob job : api.jobs()) {
            JobStatus status = job.status();
            if (status.state().isActive() && status.nodes().contains(node)) {
                jobs.add(status);
            }
        }
        return jobs;
    }

    /** The job's directory in its catalog ($CRYO_CHECKPOINT_DIR, else WORKDIR/.cryo). */
    public JobDirectory directory(JobStatus job) {
        return JobCatalog.configured(environment, job.workDir()).job(job.jobId(), job.user());
    }

    /**
     * {@link #directory}, checked as a whole before anything is done in it: the job's user can
     * write there, so a planted link or another user's file is refused by name first.
     */
    public JobDirectory checkedDirectory(JobStatus job) throws SchedulerException {
        JobDirectory dir = directory(job);
        try {
            dir.verify();
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": " + e.getMessage(), e);
        }
        return dir;
    }

    @Override
    public List<JobProcess> processes(String jobId) throws SchedulerException {
        JobStatus job = job(jobId);
        try {
            return List.of(checkpointer.processOf(job, checkedDirectory(job)));
        } catch (SchedulerException notCheckpointable) {
            return List.of();
        }
    }

    @Override
    public CheckpointRecord checkpoint(String jobId) throws SchedulerException {
        JobStatus job = job(jobId);
        permissions.ensureMayControl(job);   // before the catalog is even looked at
        return checkpointer.checkpoint(job, checkedDirectory(job), EndAction.RUNNING);
    }

    /**
     * Checkpoint, kill the process (so no work is done after the context was taken), then
     * {@code scontrol requeue} (made eligible at once) or {@code scontrol requeuehold}.  cr_run
     * sees the vacating marker and waits for Slurm to end the run instead of failing the job.
     */
    @Override
    public CheckpointRecord vacate(String jobId, VacateMode mode) throws SchedulerException {
        JobStatus job = job(jobId);
        permissions.ensureMayControl(job);
        JobDirectory dir = checkedDirectory(job);
        if (!job.requeueable()) {
            throw recorded(dir, new SchedulerException(job.describe()
                    + " cannot be requeued (submitted with --no-requeue); not vacated"));
        }
        if (JobCheckpointer.isDisabled(job, dir)) {
            throw new SchedulerException(job.describe() + ": checkpoints are disabled ('checkpoint enable " + jobId
                    + "' allows them again)");
        }
        try {
            checkpointer.provenProcessOf(job, dir);   // refuse before marking anything
        } catch (SchedulerException e) {
            throw recorded(dir, e);
        }
        mark(dir);
        CheckpointRecord record;
        try {
            record = checkpointer.checkpoint(job, dir, EndAction.KILL);
        } catch (SchedulerException e) {
            unmark(dir);
            throw e;
        }
        try {
            if (mode == VacateMode.HOLD) {
                scontrol.requeueHold(jobId);
            } else {
                scontrol.requeue(jobId);
                makeEligibleNow(jobId);
            }
        } catch (SchedulerException e) {
            unmark(dir);
            throw recorded(dir, new SchedulerException("job " + jobId + " was checkpointed to " + record.file()
                    + " but not requeued: " + e.getMessage(), e));
        }
        return record;
    }

    /** Slurm 19.05 {@code checkpoint disable/enable}: while disabled, create/requeue/vacate refuse. */
    public void setCheckpointsEnabled(String jobId, boolean enabled) throws SchedulerException {
        JobStatus job = job(jobId);
        permissions.ensureMayControl(job);
        JobDirectory dir = checkedDirectory(job);
        try {
            dir.setDisabled(!enabled);
        } catch (IOException e) {
            throw new SchedulerException("job " + jobId + ": " + e.getMessage(), e);
        }
    }

    /** Slurm 19.05 {@code checkpoint error}: the last error recorded for the job, if any. */
    public Optional<JobDirectory.CheckpointError> lastError(String jobId) throws SchedulerException {
        JobStatus job = job(jobId);
        try {
            return checkedDirectory(job).lastError();
        } catch (IOException e) {
            throw new SchedulerException("job " + jobId + ": " + e.getMessage(), e);
        }
    }

    private static SchedulerException recorded(JobDirectory dir, SchedulerException e) {
        JobCheckpointer.recordError(dir, 1, e.getMessage());
        return e;
    }

    @Override
    public void restart(String jobId) throws SchedulerException {
        JobStatus job = job(jobId);
        permissions.ensureMayControl(job);
        checkedDirectory(job);
        try {
            if (directory(job).latest().isEmpty()) {
                throw new SchedulerException(job.describe() + " has no context file in "
                        + SafeText.escape(directory(job).path().toString()));
            }
        } catch (IOException e) {
            throw new SchedulerException("job " + jobId + ": " + e.getMessage(), e);
        }
        switch (job.state()) {
            case HELD -> {
                scontrol.release(jobId);
                makeEligibleNow(jobId);
            }
            case PENDING -> makeEligibleNow(jobId);
            default -> throw new SchedulerException(job.describe() + " is not waiting to restart (vacate it first)");
        }
    }

    @Override
    public void drain(String node, String reason) throws SchedulerException {
        permissions.ensurePrivileged("drain or migrate node " + node);
        scontrol.drainNode(node, reason);
    }

    @Override
    public void resume(String node) throws SchedulerException {
        // scontrol refuses RESUME for a node that is not drained ("Invalid node state specified").
        boolean drained = api.nodes().stream().anyMatch(n -> n.name().equals(node) && n.drained());
        if (drained) {
            scontrol.resumeNode(node);
        }
    }

    /** The usable node with the most free CPUs, other than {@code fromNode}. */
    @Override
    public Optional<String> migrationTarget(String fromNode) throws SchedulerException {
        return api.nodes().stream()
                .filter(node -> !node.name().equals(fromNode) && node.canTakeJobs())
                .max(Comparator.comparingInt(node -> node.cpus() - node.allocatedCpus()))
                .map(SlurmNode::name);
    }

    /**
     * A requeued job gets BeginTime = end of its old run + cred_expire + 1 s (AuthInfo, default
     * 120 s), set when that run has finished completing.  StartTime=now must come after that, and
     * not in the same second as the credential revoke of the old run (slurmctld then kills the new
     * launch, "Job credential revoked", and the job fails): so wait until the job is PENDING,
     * pause 2 s, then set StartTime=now, repeating until it no longer waits for its BeginTime.
     */
    private void makeEligibleNow(String jobId) throws SchedulerException {
        long deadline = System.currentTimeMillis() + ELIGIBLE_WAIT_MILLIS;
        boolean settled = false;
        do {
            SlurmJob job = api.job(jobId);
            if (job.jobState().equals("COMPLETING")) {
                pause(250);
                continue;
            }
            if (!job.reason().equals("BeginTime")) {
                return;   // eligible (or started, held, ...): nothing to do
            }
            if (!settled) {
                pause(2000);
                settled = true;
            }
            scontrol.startNow(jobId);
            pause(250);
        } while (System.currentTimeMillis() < deadline);
        throw new SchedulerException("job " + jobId + " was requeued but still waits for its BeginTime");
    }

    private static void pause(long millis) throws SchedulerException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted", e);
        }
    }

    private static void mark(JobDirectory dir) throws SchedulerException {
        try {
            dir.create().markVacating();
        } catch (IOException e) {
            throw new SchedulerException("job " + dir.jobId() + ": " + e.getMessage(), e);
        }
    }

    private static void unmark(JobDirectory dir) {
        try {
            dir.clearVacating();
        } catch (IOException ignored) {
            // cr_run stops waiting after its time-out anyway
        }
    }

    /** Slurm job ids are numbers (array tasks: 12_3); anything else is a usage error, not a REST path. */
    static String validJobId(String jobId) {
        if (jobId == null || !jobId.matches("\\d+(_\\d+)?")) {
            throw new IllegalArgumentException("invalid Slurm job id '" + jobId + "'");
        }
        return jobId;
    }
}
