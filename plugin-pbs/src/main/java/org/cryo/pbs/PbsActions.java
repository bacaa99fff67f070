package org.cryo.pbs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.cryo.api.CheckpointException;
import org.cryo.api.Checkpointer;
import org.cryo.api.RestartOptions;
import org.cryo.api.SafeText;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.scheduler.JobCatalog;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerException;

/**
 * The MoM's checkpoint actions, as the job's owner (bin/cryo-pbs-action dropped root's rights
 * before starting Cryo), over the core's inbound workflows ({@link JobControl#checkpointHere},
 * {@link JobControl#migrateHere}; the restart reads the checked catalog itself).  The adapter proves the
 * recorded process is in the session the MoM named, with the job's PBS_JOBID.  Every failure is
 * one line; the job is then as it was (checkpoint_abort: nothing is ended).
 */
public final class PbsActions {
    /** How long the processes of an ended session may take to go. */
    private static final long END_MILLIS = 10_000;
    /** A restore of a large job takes a while; the action time-out of the MoM line is above this. */
    private static final long RESTORE_SECONDS = 540;

    private final MomAction action;
    private final JobControl control;

    PbsActions(MomAction action, JobControl control) {
        this.action = action;
        this.control = control;
    }

    /** The workflows for {@code action}: the adapter sees the session and job the MoM gave (PBS_SID, PBS_JOBID). */
    public static PbsActions open(MomAction action, Map<String, String> environment) throws SchedulerException {
        Map<String, String> env = new HashMap<>(environment);
        env.put("PBS_JOBID", action.jobId());
        env.put("PBS_SID", Long.toString(action.session()));
        if (action.keep() > 0) {
            env.put(JobCatalog.KEEP_VARIABLE, Integer.toString(action.keep()));
        }
        PbsAdapter adapter = new PbsAdapterProvider().create(env);
        return new PbsActions(action, JobControl.of(adapter, env));
    }

    /** Runs the action; returns the line to log. */
    public String run() throws SchedulerException {
        return switch (action.event()) {
            case CHECKPOINT -> checkpoint();
            case CHECKPOINT_ABORT -> checkpointAndEnd();
            case RESTART -> restart();
        };
    }

    /** Periodic (-c c=MIN / w=MIN) or qchkpt: the job runs on; the last N contexts stay, a failed one removes none. */
    private String checkpoint() throws SchedulerException {
        return control.checkpointHere(action.jobId()).describe() + "; it runs on";
    }

    /**
     * qhold or preemption: checkpoint the recorded work and end the whole session (the job
     * script's shell, cr_run), which PBS waits for.  Every process of the session outside the
     * recorded tree is stopped first, so that nothing of the job script goes on once the work is
     * ended: not the shell (the lines after cr_run), and not cr_run, whose exit would orphan the
     * job's process group and get the stopped shell a SIGHUP and SIGCONT from the kernel.  If the
     * checkpoint fails they continue and the job runs on untouched.  A vacate by Cryo under way
     * (its marker) has already checkpointed the work and holds it: the session is only ended.
     */
    private String checkpointAndEnd() throws SchedulerException {
        JobStatus job = control.job(action.jobId());
        control.permissions().ensureMayControl(job);
        JobDirectory dir = control.checkedDirectory(job);
        Session session = new Session(action.session());
        if (vacating(dir)) {
            end(session);
            return "job " + action.jobId() + ": checkpointed by the vacate under way; session " + session.id() + " ended";
        }
        List<Long> stopped = stopAllBut(session, recordedTree(dir));
        CheckpointRecord record;
        try {
            record = control.migrateHere(action.jobId());
        } catch (SchedulerException | RuntimeException e) {
            stopped.forEach(pid -> Session.signal(pid, "CONT"));
            throw e;
        }
        end(session);
        return record.describe() + "; session " + session.id() + " ended";
    }

    /** The recorded process and its descendants (empty if none is recorded: the checkpoint then refuses). */
    private static java.util.Set<Long> recordedTree(JobDirectory dir) {
        java.util.Set<Long> tree = new java.util.HashSet<>();
        try {
            dir.process().flatMap(p -> ProcessHandle.of(p.pid())).ifPresent(root -> {
                tree.add(root.pid());
                root.descendants().forEach(d -> tree.add(d.pid()));
            });
        } catch (IOException e) {
            // the checkpoint reads it again and says what is wrong
        }
        return tree;
    }

    /** SIGSTOPs every live member of the session outside {@code keep}; the ones stopped. */
    private static List<Long> stopAllBut(Session session, java.util.Set<Long> keep) {
        List<Long> stopped = new java.util.ArrayList<>();
        for (long pid : session.members()) {
            if (!keep.contains(pid) && Session.signal(pid, "STOP")) {
                stopped.add(pid);
            }
        }
        return stopped;
    }

    private static boolean vacating(JobDirectory dir) throws SchedulerException {
        try {
            return dir.isVacating();
        } catch (IOException e) {
            throw new SchedulerException("job " + dir.jobId() + ": " + e.getMessage(), e);
        }
    }

    private void end(Session session) throws SchedulerException {
        try {
            List<Long> left = session.end(END_MILLIS);
            if (!left.isEmpty()) {
                throw new SchedulerException("job " + action.jobId() + ": processes " + left + " of session "
                        + session.id() + " would not end");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted", e);
        }
    }

    /**
     * qrls (or the scheduler running a preempted job again): restore the latest context into the
     * job's session, which bin/cryo-pbs-action made with this process as its leader (PID = the old
     * session id, which PBS tracks the job by).  The restored tree runs on once this returns
     * (detached); it is recorded as the job's process.  Refused while any process of the session
     * other than this one runs: the job would run twice.
     */
    private String restart() throws SchedulerException {
        long self = ProcessHandle.current().pid();
        Session session = new Session(action.session());
        if (Session.of(self).orElse(-1L) != action.session()) {
            throw new SchedulerException("job " + action.jobId() + ": not restarted: this process is not in the job's"
                    + " session " + action.session() + " (run through bin/cryo-pbs-action, as root)");
        }
        List<Long> others = session.members().stream().filter(pid -> !isAncestor(pid, self)).toList();
        if (!others.isEmpty()) {
            throw new SchedulerException("job " + action.jobId() + ": session " + action.session() + " still has"
                    + " processes " + others + "; not restarted");
        }
        JobStatus job = control.job(action.jobId());
        Path context = latestContext(job);
        long restored = restore(context);
        try {
            control.directory(job).recordProcess(new JobProcess(restored, NodeExecutor.localHostName(), "", true));
        } catch (IOException e) {
            throw new SchedulerException("job " + action.jobId() + ": restarted as pid " + restored
                    + " but not recorded: " + e.getMessage(), e);
        }
        return "job " + action.jobId() + ": restarted from " + context + " as pid " + restored + " in session "
                + action.session();
    }

    /**
     * The job's latest context, for its owner (or root, or an operator), from its checked catalog.
     * (Not {@link JobControl#contextToRestartHere}: its "still runs" test takes the recorded PID
     * for the job's process whenever such a PID exists, and in the session made for the restart
     * the recorded PID of the run before is often a thread of this very process by then; the
     * session being empty, checked above, is PBS's own test of a job not running.)
     */
    private Path latestContext(JobStatus job) throws SchedulerException {
        control.permissions().ensureMayControl(job);
        JobDirectory dir = control.checkedDirectory(job);
        try {
            return dir.latest().orElseThrow(() -> new SchedulerException(job.describe() + " has no context file in "
                    + SafeText.escape(dir.path().toString())));
        } catch (IOException e) {
            throw new SchedulerException("job " + job.jobId() + ": " + e.getMessage(), e);
        }
    }

    private static boolean isAncestor(long pid, long of) {
        java.util.Optional<ProcessHandle> p = ProcessHandle.of(of);
        while (p.isPresent()) {
            if (p.get().pid() == pid) {
                return true;
            }
            p = p.get().parent();
        }
        return false;
    }

    /**
     * cryo-engine restore --detach: the tree with its PIDs (in a user and PID namespace of the
     * user's own: its session, as the node sees it, is this one), its root's PID.  The helper's
     * output goes to files, not pipes: the restored processes must hold nothing of this process.
     */
    private long restore(Path context) throws SchedulerException {
        Path out = null;
        Path err = null;
        try {
            Checkpointer engine = Checkpointer.create();
            engine.verify(context);
            out = java.nio.file.Files.createTempFile("cryo-pbs-restore-", ".out");
            err = java.nio.file.Files.createTempFile("cryo-pbs-restore-", ".err");
            Process helper = new ProcessBuilder(engine.restoreCommand(context,
                    RestartOptions.builder().detach(true).inheritIo(false).restorePid(true).build()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!helper.waitFor(RESTORE_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
                helper.destroyForcibly();
                throw new SchedulerException("job " + action.jobId() + ": the restore from " + context
                        + " did not finish within " + RESTORE_SECONDS + " s");
            }
            String pid = lastLine(java.nio.file.Files.readString(out, StandardCharsets.UTF_8));
            if (helper.exitValue() != 0 || !pid.matches("\\d{1,9}")) {
                throw new SchedulerException("job " + action.jobId() + ": cannot restart from " + context + ": "
                        + SafeText.escape(lastLine(java.nio.file.Files.readString(err, StandardCharsets.UTF_8))));
            }
            return checkpointable(Long.parseLong(pid));
        } catch (CheckpointException | IOException e) {
            throw new SchedulerException("job " + action.jobId() + ": cannot restart from " + context + ": "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted", e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /**
     * What a later checkpoint takes: the top of the restored tree in the session, the process of
     * it whose parent is not in it (restored in a PID namespace of the user's own, that is the
     * namespace's init, as cr_run records for a job it restarted so; the engine's own line names
     * the root as the job sees it, which may be PID 1 of the namespace).  {@code printed} if none.
     */
    private long checkpointable(long printed) {
        long self = ProcessHandle.current().pid();
        List<Long> members = new Session(action.session()).members().stream().filter(pid -> !isAncestor(pid, self)).toList();
        for (long pid : members) {
            long parent = ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(1L);
            if (!members.contains(parent) && parent != self) {
                return pid;
            }
        }
        return printed;
    }

    private static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    private static void deleteQuietly(Path file) {
        try {
            if (file != null) {
                java.nio.file.Files.deleteIfExists(file);
            }
        } catch (IOException ignored) {
            // a temporary file
        }
    }

    /** Records a failure as the job's last error where its catalog can be found (best effort). */
    public void recordFailure(String message) {
        try {
            JobStatus job = control.job(action.jobId());
            control.directory(job).recordError(1, action.event().name().toLowerCase(java.util.Locale.ROOT) + ": " + message);
        } catch (SchedulerException | IOException | RuntimeException ignored) {
            // the line is logged anyway
        }
    }
}
