package org.cryo.sge;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.api.EndAction;
import org.cryo.api.SafeText;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.scheduler.JobCatalog;
import org.cryo.scheduler.JobCheckpointer;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.SchedulerAdapter;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;

/**
 * Cryo's Grid Engine adapter (Son of Grid Engine 8.1.9).  Job state from {@code qstat -xml};
 * suspend/hold/release through DRMAA or qmod/qhold/qrls ({@link JobControl}); a checkpoint that
 * lets the job run on is taken from here on the job's host ({@link JobCheckpointer}); a vacate
 * is Grid Engine's own migration: {@code qmod -sj} makes the execd run Cryo's migr_command
 * ({@link SgeNodeHook}), which checkpoints and ends the job, and Grid Engine reschedules it.  The
 * mapping of Grid Engine actions to these is in plugin-sge/README.md.
 */
public final class SgeAdapter implements SchedulerAdapter {
    /** How long a migration may take: the migr_command's checkpoint and the job leaving its host. */
    private static final long MIGRATION_WAIT_MILLIS = 120_000;

    private final SgeCommands commands;
    private final JobControl control;
    private final JobCheckpointer checkpointer;
    private final SgePermissions permissions;
    private final Map<String, String> environment;

    SgeAdapter(SgeCommands commands, JobControl control, JobCheckpointer checkpointer, SgePermissions permissions,
               Map<String, String> environment) {
        this.commands = commands;
        this.control = control;
        this.checkpointer = checkpointer;
        this.permissions = permissions;
        this.environment = Map.copyOf(environment);
    }

    @Override
    public String scheduler() {
        return "gridengine";
    }

    @Override
    public String apiVersion() {
        return control.describe() + " + qstat -xml";
    }

    public SgeCommands commands() {
        return commands;
    }

    @Override
    public JobStatus job(String jobId) throws SchedulerException {
        return sgeJob(jobId).status();
    }

    /** The job as qstat shows it; one line for an unknown job. */
    public SgeJob sgeJob(String jobId) throws SchedulerException {
        validJobId(jobId);
        Optional<String> detail = commands.jobXml(jobId);
        if (detail.isEmpty()) {
            throw new SchedulerException("unknown job " + jobId + " (Grid Engine has no such job; qacct -j " + jobId
                    + " shows ended ones)");
        }
        List<QstatXml.Listed> listed = QstatXml.jobList(commands.jobListXml());
        return QstatXml.job(detail.get(), listed).orElseThrow(() -> new SchedulerException("unknown job " + jobId));
    }

    @Override
    public List<JobStatus> jobsOn(String host) throws SchedulerException {
        List<JobStatus> jobs = new ArrayList<>();
        for (QstatXml.Listed line : QstatXml.jobList(commands.jobListXml())) {
            if (line.host().equals(host)) {
                JobStatus status = job(line.jobId());
                if (status.state().isActive() && jobs.stream().noneMatch(j -> j.jobId().equals(status.jobId()))) {
                    jobs.add(status);
                }
            }
        }
        return jobs;
    }

    /** The job's directory in its catalog: $CRYO_CHECKPOINT_DIR/JOBID, else SGE_O_WORKDIR/.cryo/JOBID. */
    public JobDirectory directory(JobStatus job) {
        return JobCatalog.configured(environment, job.workDir()).job(job.jobId(), job.user());
    }

    /** {@link #directory}, checked as a whole first (a planted link or another user's file is refused by name). */
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

    /** {@code checkpoint create}: checkpoint on the job's host, the job runs on. */
    @Override
    public CheckpointRecord checkpoint(String jobId) throws SchedulerException {
        SgeJob sge = sgeJob(jobId);
        JobStatus job = sge.status();
        permissions.ensureMayControl(job);
        return checkpointer.checkpoint(job, checkedDirectory(job), EndAction.RUNNING);
    }

    /**
     * Grid Engine's migration: (HOLD: {@code qhold} first, so that the job waits once it has left)
     * {@code qmod -sj} / DRMAA SUSPEND; the execd runs migr_command, Cryo's hook checkpoints and
     * ends the job, Grid Engine reschedules it.  Returns once the new context is in the catalog.
     */
    @Override
    public CheckpointRecord vacate(String jobId, VacateMode mode) throws SchedulerException {
        SgeJob sge = sgeJob(jobId);
        JobStatus job = sge.status();
        permissions.ensureMayControl(job);
        ensureMigratable(sge);
        JobDirectory dir;
        try {
            dir = checkedDirectory(job);
        } catch (SchedulerException e) {
            if (e.getCause() instanceof java.nio.file.AccessDeniedException && !"root".equals(me())) {
                return vacateUnseen(sge, mode);
            }
            throw e;
        }
        if (JobCheckpointer.isDisabled(job, dir)) {
            throw new SchedulerException(job.describe() + ": checkpoints are disabled ('cryo sge checkpoint enable "
                    + jobId + "' allows them again)");
        }
        JobProcess process = checkpointer.provenProcessOf(job, dir);
        Optional<Path> before = latest(dir);
        Optional<JobDirectory.CheckpointError> errorBefore = lastError(dir);
        if (mode == VacateMode.HOLD) {
            control.hold(jobId);
        }
        long start = System.nanoTime();
        try {
            control.suspend(jobId);
        } catch (SchedulerException e) {
            if (mode == VacateMode.HOLD) {
                releaseQuietly(jobId);
            }
            throw e;
        }
        Path file = awaitNewContext(job, dir, before, errorBefore, mode);
        return new CheckpointRecord(jobId, process.node(), process.pid(), file, (System.nanoTime() - start) / 1_000_000);
    }

    /**
     * A Grid Engine manager or operator who is not root cannot read another user's catalog (it is
     * the user's, 0700), but Grid Engine lets them migrate the job, and the hook then runs as the
     * job's owner and does the checks: so the migration goes ahead and is seen from qstat (the job
     * restarted: state R...).  Its error, if any, is for the owner's 'checkpoint error'.
     */
    private CheckpointRecord vacateUnseen(SgeJob sge, VacateMode mode) throws SchedulerException {
        String jobId = sge.jobId();
        if (mode == VacateMode.HOLD) {
            control.hold(jobId);
        }
        long start = System.nanoTime();
        boolean rerunBefore = sge.states().contains("R");
        control.suspend(jobId);
        long deadline = System.currentTimeMillis() + MIGRATION_WAIT_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            String states = sgeJob(jobId).states();
            // left its host: waiting to run again (Rq, hRq), or already running again
            if (states.contains("q") || states.contains("R") && !rerunBefore) {
                return new CheckpointRecord(jobId, String.join(",", sge.hosts()), -1, null,
                        (System.nanoTime() - start) / 1_000_000);
            }
            pause(200);
        }
        throw new SchedulerException("job " + jobId + " did not leave its host within " + MIGRATION_WAIT_MILLIS / 1000
                + " s (its owner's 'cryo sge checkpoint error " + jobId + "' tells why)");
    }

    private static String me() {
        return System.getProperty("user.name");
    }

    /**
     * What a migration needs: a running, restartable job with an application-level environment
     * that runs Cryo's hook.  Refused before anything is done.
     */
    private void ensureMigratable(SgeJob sge) throws SchedulerException {
        JobStatus job = sge.status();
        if (job.state() != JobState.RUNNING) {
            throw new SchedulerException(job.describe() + " is not running");
        }
        if (sge.checkpointName().isEmpty()) {
            throw new SchedulerException("job " + sge.jobId() + " has no checkpointing environment (submit it with"
                    + " qsub -ckpt cryo -r y); not migrated");
        }
        Map<String, String> env = commands.checkpointEnvironment(sge.checkpointName())
                .map(CheckpointEnvironment::parse).orElse(Map.of());
        if (!"application-level".equals(env.get("interface"))
                || !env.getOrDefault("migr_command", "").contains(" sge hook migrate ")) {
            throw new SchedulerException("job " + sge.jobId() + ": its checkpointing environment "
                    + SafeText.escape(sge.checkpointName()) + " does not run Cryo ('cryo sge install-ckpt-env'"
                    + " installs one); not migrated");
        }
        if (!sge.restartable()) {
            throw new SchedulerException("job " + sge.jobId() + " is not restartable (qsub -r n); not migrated");
        }
    }

    /** Waits for migr_command's context (or its error) and for the job to have left its host. */
    private Path awaitNewContext(JobStatus job, JobDirectory dir, Optional<Path> before,
                                 Optional<JobDirectory.CheckpointError> errorBefore, VacateMode mode)
            throws SchedulerException {
        long deadline = System.currentTimeMillis() + MIGRATION_WAIT_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            Optional<Path> now = latest(dir);
            if (now.isPresent() && !now.equals(before)) {
                return now.get();
            }
            Optional<JobDirectory.CheckpointError> error = lastError(dir);
            if (error.isPresent() && !error.equals(errorBefore)) {
                if (mode == VacateMode.HOLD) {
                    releaseQuietly(job.jobId());
                }
                throw new SchedulerException("job " + job.jobId() + " was not migrated: " + error.get().message());
            }
            pause(200);
        }
        throw new SchedulerException("job " + job.jobId() + ": no context from its migr_command within "
                + MIGRATION_WAIT_MILLIS / 1000 + " s (see the execd's messages on " + String.join(",", job.nodes()) + ")");
    }

    private void releaseQuietly(String jobId) {
        try {
            control.release(jobId);
        } catch (SchedulerException ignored) {
            // the caller reports the first failure
        }
    }

    /** {@code checkpoint restart}: release a vacated (held) job; it restarts from its latest context. */
    @Override
    public void restart(String jobId) throws SchedulerException {
        JobStatus job = job(jobId);
        permissions.ensureMayControl(job);
        JobDirectory dir = checkedDirectory(job);
        if (latest(dir).isEmpty()) {
            throw new SchedulerException(job.describe() + " has no context file in " + SafeText.escape(dir.path().toString()));
        }
        switch (job.state()) {
            case HELD -> control.release(jobId);
            case PENDING -> { }   // already rescheduled: it restarts from the context when it runs
            default -> throw new SchedulerException(job.describe() + " is not waiting to restart (vacate it first)");
        }
    }

    /** {@code checkpoint disable/enable}: while disabled, create, vacate and Grid Engine's hooks refuse. */
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

    /** {@code checkpoint error}: the last error recorded for the job (by a hook or an admin command). */
    public Optional<JobDirectory.CheckpointError> lastError(String jobId) throws SchedulerException {
        return lastError(checkedDirectory(job(jobId)));
    }

    /**
     * {@code cryo sge migrate --host HOST}: no new jobs on HOST ({@code qmod -d *@HOST}), then each
     * checkpointable job there migrates; Grid Engine runs them elsewhere.  Returns the migrated
     * jobs' records; a job that could not be migrated stays and is named in {@code failures}.
     */
    public List<CheckpointRecord> migrateHost(String host, List<String> failures) throws SchedulerException {
        permissions.ensurePrivileged("migrate the jobs of host " + host);
        drain(host, "cryo sge migrate");
        List<CheckpointRecord> moved = new ArrayList<>();
        for (JobStatus job : jobsOn(host)) {
            try {
                moved.add(vacate(job.jobId(), VacateMode.REQUEUE));
            } catch (SchedulerException e) {
                failures.add(e.getMessage());
            }
        }
        return moved;
    }

    @Override
    public void drain(String host, String reason) throws SchedulerException {
        permissions.ensurePrivileged("disable the queues of host " + host);
        commands.disableHost(validHost(host));
    }

    @Override
    public void resume(String host) throws SchedulerException {
        permissions.ensurePrivileged("enable the queues of host " + host);
        commands.enableHost(validHost(host));
    }

    /** Grid Engine's scheduler picks the host a rescheduled job runs on; Cryo does not. */
    @Override
    public Optional<String> migrationTarget(String fromHost) {
        return Optional.empty();
    }

    private static Optional<Path> latest(JobDirectory dir) throws SchedulerException {
        try {
            return dir.latest();
        } catch (IOException e) {
            throw new SchedulerException("job " + dir.jobId() + ": " + e.getMessage(), e);
        }
    }

    private static Optional<JobDirectory.CheckpointError> lastError(JobDirectory dir) throws SchedulerException {
        try {
            return dir.lastError();
        } catch (IOException e) {
            throw new SchedulerException("job " + dir.jobId() + ": " + e.getMessage(), e);
        }
    }

    private static void pause(long millis) throws SchedulerException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted", e);
        }
    }

    /** Grid Engine job ids are numbers; anything else is a usage error, never an argument to qstat. */
    static String validJobId(String jobId) {
        if (jobId == null || !jobId.matches("\\d{1,12}")) {
            throw new IllegalArgumentException("invalid Grid Engine job id '" + SafeText.escape(String.valueOf(jobId)) + "'");
        }
        return jobId;
    }

    private static String validHost(String host) {
        if (host == null || !host.matches("[A-Za-z0-9][A-Za-z0-9.-]{0,252}")) {
            throw new IllegalArgumentException("invalid host name '" + SafeText.escape(String.valueOf(host)) + "'");
        }
        return host;
    }
}
