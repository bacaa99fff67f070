package org.cryo.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.cryo.api.CheckpointException;
import org.cryo.api.Checkpointer;
import org.cryo.api.RestartOptions;
import org.cryo.config.CryoConfig;
import org.cryo.scheduler.BatchJob;
import org.cryo.scheduler.CheckpointInterval;
import org.cryo.scheduler.JobCatalog;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.JobMove;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobRun;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.PeriodicCheckpoints;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * cr_run: runs a command that may later be checkpointed.
 *
 * <p>Outside a batch job: a plain exec with the exit status passed through (Cryo needs no
 * preloaded library to checkpoint a process).  Inside one (a scheduler's provider recognises it:
 * {@link BatchJob#detect}): it records the process's PID and node in the job's catalog directory so
 * that the scheduler's commands and hooks find it, and when the scheduler starts the job again
 * after a requeue or migration and a context file exists, it restarts from the latest one instead
 * of running CMD from the top.  After a vacate killed the process it waits for the scheduler to end the job, so the
 * job is requeued rather than seen to fail.
 */
@Command(name = "cr_run", mixinStandardHelpOptions = true, version = CryoCommand.VERSION, usageHelpWidth = 100,
       
        headerHeading = "NAME%n", header = "  cr_run - run a command that will be checkpointed",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Runs CMD with its arguments and exits with its exit status. Cryo can checkpoint",
            "  any process, so outside a batch job cr_run is optional (BLCR job scripts work",
            "  unchanged).",
            "",
            "  Inside a batch job of a scheduler Cryo has an adapter for, cr_run makes CMD",
            "  checkpointable by the scheduler: it records CMD's PID in the job's catalog",
            "  (JOBID in $CRYO_CHECKPOINT_DIR, by default in .cryo in the job's working",
            "  directory) for the scheduler's 'cryo' commands and hooks, and when the scheduler",
            "  runs the job again after a requeue or migration and a context file exists, it",
            "  restarts CMD from the latest context instead of from the top.",
            "  With --checkpoint-interval it also checkpoints CMD's process tree every interval",
            "  (Quartz, inside cr_run), keeping the last --checkpoint-keep context files.",
            "",
            "  With --pid-ns, CMD runs in a PID namespace of its own under an init of Cryo's;",
            "  the init (whose PID --pid-file records, and which a batch job records in its",
            "  catalog) is the process to checkpoint, and a restart recreates the namespace.",
        },
        parameterListHeading = "%nARGUMENTS%n",
        optionListHeading = "%nOPTIONS%n",
        exitCodeListHeading = "%nEXIT STATUS%n",
        exitCodeList = {
            "N:the command's exit status (128+signal if a signal ended it)",
            "1:usage error",
            "127:the command could not be started",
        },
        footerHeading = "%nEXAMPLES%n",
        footer = {"  cr_run ./simulation -n 1000", "  cr_run --pid-ns --pid-file sim.pid ./simulation -n 1000", ""})
final class RunCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command and its arguments.")
    List<String> command;

    @Option(names = "--checkpoint-interval", paramLabel = "TIME",
            description = "In a batch job: checkpoint every TIME (minutes, fractions allowed, or with a unit:"
                    + " 90s, 1.5m, 2h). Default: $CRYO_CHECKPOINT_INTERVAL, else none.")
    String interval;

    @Option(names = "--checkpoint-keep", paramLabel = "N",
            description = "Keep the last N context files of the job (default: $CRYO_KEEP_CHECKPOINTS, else 3).")
    Integer keep;

    @Option(names = "--pid-ns",
            description = "Run CMD in a PID namespace of its own, under an init of Cryo's (cryo-engine run --pid-ns):"
                    + " the init is the process to checkpoint (its whole tree), and a restart recreates the"
                    + " namespace, so the job's PIDs never collide with the node's. Needs root or CAP_SYS_ADMIN.")
    boolean pidNamespace;

    @Option(names = "--pid-file", paramLabel = "FILE",
            description = "With --pid-ns: write the init's PID (as seen from outside the namespace) to FILE,"
                    + " the PID to give cr_checkpoint.")
    Path pidFile;

    @Option(names = "--copy-command",
            description = "In a batch job: run a copy of CMD kept in the job's catalog (JOBID/script), not CMD"
                    + " itself: for a batch script in the node's spool directory, which a restart on another"
                    + " node would not find (Slurm's cryo_spank.so uses it).")
    boolean copyCommand;

    private PeriodicCheckpoints periodic;
    /** With --pid-ns: the file the helper creates with the init's PID, and the private directory cr_run made for it. */
    private Path initPidFile;
    private Path ownPidDirectory;
    /** The identity (inode) of a pid file left by an earlier run: the helper's new file has another. */
    private Object stalePidFileKey;

    /** How long to wait for the scheduler to end a vacated job before giving up. */
    private static final long VACATE_WAIT_MILLIS = 300_000;
    /** How long a restored process may take to appear as the restore helper's child. */
    private static final long RESTORED_CHILD_WAIT_MILLIS = 30_000;

    @Override
    public Integer call() throws Exception {
        Map<String, String> environment = CryoConfig.effectiveEnvironment();
        interval(environment);   // a bad interval is a usage error before anything runs
        if (pidFile != null && !pidNamespace) {
            throw new CliFailure("--pid-file needs --pid-ns", ExitStatus.USAGE);
        }
        try {
            return call(environment);
        } finally {
            if (ownPidDirectory != null) {
                Files.deleteIfExists(initPidFile);
                Files.deleteIfExists(ownPidDirectory);
            }
        }
    }

    private int call(Map<String, String> environment) throws Exception {
        Optional<BatchJob> job = BatchJob.detect(environment);
        if (job.isEmpty()) {
            return start(null, null).waitFor();
        }
        JobCatalog catalog = JobCatalog.at(job.get().catalogRoot(), environment);
        if (keep != null) {
            catalog = new JobCatalog(catalog.root(), keep);
        }
        JobDirectory dir = catalog.job(job.get().jobId(), System.getProperty("user.name"));
        Optional<Path> latest;
        try {
            dir.create().clearVacating();   // left by the vacate that ended the previous run
            if (alreadyFinished(job.get(), dir)) {
                return 0;
            }
            latest = dir.latest();
            if (!job.get().run().restartsFromContext(latest.isPresent())) {
                latest = Optional.empty();   // a first start runs CMD from the top, whatever the catalog holds
            }
        } catch (IOException e) {
            // Neither start the work afresh nor restart it from a catalog that cannot be trusted.
            throw new CliFailure("job " + job.get().jobId() + ": " + e.getMessage(), ExitStatus.FAILED);
        }
        int status;
        try {
            status = latest.isPresent() ? restartFrom(latest.get(), job.get(), dir) : runAndRecord(job.get(), dir);
        } finally {
            if (periodic != null) {
                periodic.close();
            }
        }
        if (status == 0 && !dir.isVacating()) {
            markFinished(dir, job.get());
        }
        return waitIfVacated(dir, status);
    }

    private static void markFinished(JobDirectory dir, BatchJob job) {
        try {
            dir.markFinished(job.run().id());
        } catch (IOException e) {
            System.err.println("cr_run: job " + job.jobId() + ": cannot record that the work finished: " + e.getMessage()
                    + " (a rerun would restart it from its latest context)");
        }
    }

    /**
     * A rerun of a job whose work an earlier run finished (exit 0) does nothing: restarting from
     * the latest context would do the work after it a second time.  Slurm 24.11 reruns a job that
     * requeued itself during a preemption's grace time when its next run ends (the grace flag
     * survives the requeue), and a preemption can race with the end of any job.
     */
    private static boolean alreadyFinished(BatchJob job, JobDirectory dir) throws IOException {
        if (job.run().start() == JobRun.Start.FIRST) {
            dir.clearFinished();
            return false;
        }
        if (!dir.isFinished()) {
            return false;
        }
        System.err.println("cr_run: job " + job.jobId() + " run " + job.run().id()
                + ": an earlier run finished the work (exit 0): not run again");
        return true;
    }

    /** The periodic-checkpoint interval: --checkpoint-interval, else $CRYO_CHECKPOINT_INTERVAL. */
    private Optional<java.time.Duration> interval(Map<String, String> environment) throws CliFailure {
        String text = interval != null ? interval : environment.get("CRYO_CHECKPOINT_INTERVAL");
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(CheckpointInterval.parse(text));
        } catch (IllegalArgumentException e) {
            throw new CliFailure(e.getMessage(), ExitStatus.USAGE);
        }
    }

    /** Starts the periodic checkpoints of the job's process, if asked for. */
    private void startPeriodic(JobDirectory dir, long pid) throws Exception {
        Optional<java.time.Duration> every = interval(CryoConfig.effectiveEnvironment());
        if (every.isEmpty() || periodic != null) {
            return;
        }
        periodic = PeriodicCheckpoints.start(every.get(), () -> pid, dir);
        try {
            dir.recordInterval(every.get());
        } catch (IOException e) {
            System.err.println("cr_run: job " + dir.jobId() + ": cannot record the checkpoint interval: " + e.getMessage());
        }
        System.err.println("cr_run: job " + dir.jobId() + ": checkpoint every " + every.get().toMillis() / 1000.0
                + " s, keeping the last " + (keep != null ? keep : "$CRYO_KEEP_CHECKPOINTS or 3") + " context files");
    }

    /**
     * Starts CMD, or with --pid-ns the engine helper {@code cryo-engine run --pid-ns --pid-file FILE
     * -- CMD...}, which starts CMD under an init in a new PID namespace, writes the init's PID to
     * FILE, and exits with CMD's status.  Either way stdio is inherited.  In a batch job ({@code
     * job} and {@code dir}, else null) Open MPI's session directory goes in the job's catalog
     * ({@link #mpiSessionDirectoryIn}) and MPICH forks its proxies on a job of one node ({@link #hydraForksItsProxies}).
     */
    private Process start(BatchJob job, JobDirectory dir) throws CliFailure {
        List<String> argv = command;
        if (pidNamespace) {
            Path helper;
            try {
                helper = Checkpointer.create().helper();
                // The helper alone creates the pid file (O_EXCL|O_NOFOLLOW, renamed into place):
                // deleting it here and letting the helper open it later would be a symlink race.
                if (pidFile != null) {
                    initPidFile = pidFile.toAbsolutePath();
                    stalePidFileKey = fileKey(initPidFile);
                } else {
                    ownPidDirectory = Files.createTempDirectory("cryo-init-");
                    initPidFile = ownPidDirectory.resolve("init.pid");
                }
            } catch (CheckpointException | IOException e) {
                throw new CliFailure("--pid-ns: " + e.getMessage(), ExitStatus.CANNOT_RUN);
            }
            argv = new java.util.ArrayList<>(List.of(helper.toString(), "run", "--pid-ns", "--pid-file",
                    initPidFile.toString(), "--"));
            argv.addAll(command);
        }
        try {
            ProcessBuilder builder = new ProcessBuilder(argv).inheritIO();
            if (dir != null) {
                mpiSessionDirectoryIn(dir, builder.environment());
                hydraForksItsProxies(nodesOf(job, builder.environment()), builder.environment());
            }
            return builder.start();
        } catch (IOException e) {
            throw new CliFailure("cannot run '" + argv.get(0) + "': " + reason(e), ExitStatus.CANNOT_RUN);
        }
    }

    /** Open MPI's MCA variable naming the directory its session directory goes in (default /tmp). */
    static final String OPEN_MPI_TMPDIR = "OMPI_MCA_orte_tmpdir_base";
    /** The same for Open MPI 5, whose launcher is PRRTE's prterun (session directory prterun.HOST.PID.UID). */
    static final String PRRTE_TMPDIR = "PRTE_MCA_prte_tmpdir_base";
    /**
     * Open MPI's session directory (its launcher's debugger FIFO, PMIx's 4 MiB shared-memory
     * stores mapped by every rank, contact and topology files) is {@code /tmp/ompi.HOST.UID}, on
     * the node: a job restarted on another node would find none of it, and its processes hold
     * those files by name.  Unless the job chose a directory itself, it goes in the job's catalog
     * directory, on the shared storage the context files are on, so it moves with the job.
     */
    static void mpiSessionDirectoryIn(JobDirectory dir, Map<String, String> environment) throws IOException {
        if (environment.containsKey(OPEN_MPI_TMPDIR) || environment.containsKey(PRRTE_TMPDIR)) {
            return;
        }
        // the job's directory as the catalog makes it (the user's own, 0700), then the session's in it
        Path session = dir.create().path().resolve(JobDirectory.MPI_SESSION);
        if (!Files.isDirectory(session, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(session, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        }
        environment.put(OPEN_MPI_TMPDIR, session.toString());
        environment.put(PRRTE_TMPDIR, session.toString());
    }

    /**
     * MPICH hydra's variable naming the launcher of its proxies.  Its older name HYDRA_BOOTSTRAP
     * is no job's choice: Slurm 23.11 and later set it to {@code slurm} in every job (with
     * HYDRA_LAUNCHER_EXTRA_ARGS), and HYDRA_LAUNCHER wins over it.
     */
    static final String HYDRA_LAUNCHER = "HYDRA_LAUNCHER";

    /**
     * MPICH's mpiexec (hydra) in a batch job starts its proxy, the ranks' parent, with the
     * scheduler's launcher (under Slurm {@code srun}: a job step of its own under its own
     * slurmstepd), so the ranks are not in the tree of the job's work and a checkpoint refuses
     * the job (the proxy's end of mpiexec's pipes or control connection leads outside it).  On a
     * job of one node nothing needs a remote launcher: hydra forks the proxy itself
     * ({@code HYDRA_LAUNCHER=fork}) unless the job chose a launcher.  A job of more nodes, or of a
     * count the scheduler does not say, keeps hydra's choice: Cryo checkpoints the tree on one node.
     */
    static void hydraForksItsProxies(java.util.OptionalInt nodes, Map<String, String> environment) {
        if (nodes.isPresent() && nodes.getAsInt() == 1 && !environment.containsKey(HYDRA_LAUNCHER)) {
            environment.put(HYDRA_LAUNCHER, "fork");
        }
    }

    /** How many nodes the job has, as its scheduler's provider reads it from the job's variables. */
    private static java.util.OptionalInt nodesOf(BatchJob job, Map<String, String> environment) {
        return org.cryo.scheduler.SchedulerAdapterProvider.all().stream()
                .filter(provider -> provider.scheduler().equals(job.scheduler())).findFirst()
                .map(provider -> provider.nodes(environment)).orElse(java.util.OptionalInt.empty());
    }

    /**
     * The process to checkpoint: CMD itself, or with --pid-ns the namespace's init, whose PID the
     * helper writes to its pid file right after the fork; -1 if the helper ended without one.
     */
    private long checkpointable(Process process) throws InterruptedException {
        if (!pidNamespace) {
            return process.pid();
        }
        while (true) {
            try {
                Object key = fileKey(initPidFile);
                String text = key == null || key.equals(stalePidFileKey) ? "" : Files.readString(initPidFile);
                if (text.endsWith("\n")) {
                    return Long.parseLong(text.strip());
                }
            } catch (IOException | NumberFormatException e) {
                // not written yet
            }
            if (!process.isAlive()) {
                return -1;
            }
            Thread.sleep(10);
        }
    }

    /** The file's identity (device and inode), null if there is none. */
    private static Object fileKey(Path file) {
        try {
            return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private int runAndRecord(BatchJob job, JobDirectory dir) throws Exception {
        if (copyCommand) {
            keepCommand(dir);
        }
        Process process = start(job, dir);
        long pid = checkpointable(process);
        if (pid > 0 && record(dir, new JobProcess(pid, NodeExecutor.localHostName(), job.run().id(), false))) {
            startPeriodic(dir, pid);
        }
        return process.waitFor();
    }

    /** --copy-command: CMD becomes the copy in the catalog, written afresh for a run from the top. */
    private void keepCommand(JobDirectory dir) throws CliFailure {
        Path original = Path.of(command.get(0));
        try {
            command = new java.util.ArrayList<>(command);
            command.set(0, dir.keepScript(original).toString());
        } catch (IOException e) {
            throw new CliFailure("job " + dir.jobId() + ": cannot keep a copy of " + original + ": " + e.getMessage(),
                    ExitStatus.CANNOT_RUN);
        }
    }

    /**
     * Restarts from the job's latest context.  The original PID is kept when it is free on this
     * node (the job may land on another node, where it may be taken).
     */
    private int restartFrom(Path context, BatchJob job, JobDirectory dir) throws Exception {
        Checkpointer checkpointer = Checkpointer.create();
        long originalPid;
        try {
            originalPid = checkpointer.inspect(context).first().pid();
        } catch (CheckpointException e) {
            // Only the original PID is read here; the restore verifies the file itself.
            System.err.println("cr_run: cannot read the PID in " + context + " (" + e.getMessage() + "): new pid");
            originalPid = -1;
        }
        boolean pidFree = originalPid > 0 && !Files.exists(Path.of("/proc", Long.toString(originalPid)));
        String run = job.run().id().isEmpty() ? "" : " run " + job.run().id();
        System.err.println("cr_run: job " + job.jobId() + run + ": restarting from "
                + context + (pidFree || originalPid <= 0 ? "" : " (pid " + originalPid + " is taken here: new pid)"));
        Process helper;
        try {
            helper = checkpointer.restart(context, RestartOptions.builder().restorePid(pidFree).build());
        } catch (CheckpointException e) {
            throw new CliFailure("cannot restart job " + job.jobId() + " from " + context + ": " + e.getMessage(),
                    ExitStatus.RESTORE_FAILED);
        }
        long restored = restoredChild(helper);
        if (restored > 0) {
            recordMove(dir, context);
        }
        if (restored > 0 && record(dir, new JobProcess(restored, NodeExecutor.localHostName(), job.run().id(), true))) {
            startPeriodic(dir, restored);
        }
        int status = helper.waitFor();
        if (restored <= 0 && status != 0) {
            // The job fails rather than run CMD again from the top (or look finished).
            System.err.println("cr_run: job " + job.jobId() + ": the restart from " + context + " failed (exit " + status
                    + "); the job fails");
        }
        return status;
    }

    /**
     * Appends this restart to the job's moves: from the node the previous run's process was
     * recorded on, to this one, for the reason the vacate before it left (none: the run or its
     * node failed).  A catalog that cannot take it costs the record, not the restart.
     */
    private static void recordMove(JobDirectory dir, Path context) {
        try {
            String from = dir.process().map(JobProcess::node).orElse("-");
            JobMove.Reason why = dir.takeLeaving().orElse(JobMove.Reason.FAILED);
            dir.recordMove(new JobMove(java.time.Instant.now(), JobMove.node(from), JobMove.node(NodeExecutor.localHostName()),
                    why, context.getFileName().toString().matches("context\\.\\d{6,12}") ? context.getFileName().toString() : "-"));
        } catch (IOException | RuntimeException e) {
            System.err.println("cr_run: job " + dir.jobId() + ": cannot record the restart in the catalog: " + e.getMessage());
        }
    }

    /** The restore helper stays the restored process's parent: its one child is the job's process. */
    static long restoredChild(Process helper) throws InterruptedException {
        long deadline = System.currentTimeMillis() + RESTORED_CHILD_WAIT_MILLIS;
        while (helper.isAlive() && System.currentTimeMillis() < deadline) {
            Optional<ProcessHandle> child = helper.children().findFirst();
            if (child.isPresent()) {
                return child.get().pid();
            }
            Thread.sleep(20);
        }
        return -1;
    }

    /**
     * Records the job's process in its catalog; if that fails (a catalog the job's user broke),
     * the work runs on, not checkpointable, rather than be left behind by an exiting cr_run.
     */
    private static boolean record(JobDirectory dir, JobProcess process) {
        try {
            dir.recordProcess(process);
            return true;
        } catch (IOException e) {
            System.err.println("cr_run: job " + dir.jobId() + " is not checkpointable: cannot record its process: "
                    + e.getMessage());
            return false;
        }
    }

    /**
     * A vacate checkpoints and kills the process, then asks the scheduler to requeue the job.
     * Exiting now would let the job end (and count as failed) before the requeue arrives, so wait
     * for the scheduler to end this run; the vacating marker goes away if the vacate failed.
     */
    private static int waitIfVacated(JobDirectory dir, int status) throws InterruptedException, IOException {
        long deadline = System.currentTimeMillis() + VACATE_WAIT_MILLIS;
        boolean announced = false;
        while (dir.isVacating() && System.currentTimeMillis() < deadline) {
            if (!announced) {
                System.err.println("cr_run: job " + dir.jobId() + " was checkpointed and vacated; waiting to be requeued");
                announced = true;
            }
            Thread.sleep(200);
        }
        return status;
    }

    /** "Cannot run program "x": error=2, No such file or directory" -> "No such file or directory". */
    private static String reason(IOException e) {
        String message = String.valueOf(e.getMessage());
        int errno = message.indexOf("error=");
        int comma = errno < 0 ? -1 : message.indexOf(", ", errno);
        return comma < 0 ? message : message.substring(comma + 2);
    }
}
