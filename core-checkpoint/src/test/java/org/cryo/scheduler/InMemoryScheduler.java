package org.cryo.scheduler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A scheduler that lives in the test JVM, for the SPI's tests only: jobs are what a test puts in
 * {@link #JOBS}, and "the job this process runs in" (what a real provider reads from the
 * environment the scheduler gives a job) is {@link #current}, since a test cannot change its own
 * environment.  Its proof of a PID is that the process is a live descendant of this JVM (the
 * tests start the job's processes, directly or through an in-process cr_run) and the job does
 * not refuse it.  Every verb is recorded in the job's {@link Job#events} with what it found, so a
 * test can see the order of a workflow.
 */
public final class InMemoryScheduler implements SchedulerAdapterProvider, SchedulerAdapter {
    public static final String NAME = "memory";

    /** The scheduler's jobs, by id. */
    public static final Map<String, Job> JOBS = new ConcurrentHashMap<>();
    /** The scheduler's operators. */
    public static final Set<String> OPERATORS = ConcurrentHashMap.newKeySet();
    /** The job this JVM "runs in" (cr_run's detection), if any. */
    public static volatile BatchJob current;
    /** How many times {@link #isOperator} was asked. */
    public static volatile int operatorQuestions;
    /** How many of the next drains fail as if the scheduler were down. */
    public static volatile int failNextDrains;

    /** One job, as a test sets it up; mutable as a scheduler's record is. */
    public static final class Job {
        public final String id;
        public volatile String user;
        public volatile JobState state = JobState.RUNNING;
        public volatile List<String> nodes = List.of(NodeExecutor.localHostName());
        public final Path catalogRoot;
        public volatile String run = "0";
        public volatile boolean requeueable = true;
        public volatile boolean refuseProof;
        public volatile boolean failRequeue;
        public final List<String> events = Collections.synchronizedList(new ArrayList<>());

        public Job(String id, String user, Path catalogRoot) {
            this.id = id;
            this.user = user;
            this.catalogRoot = catalogRoot;
        }

        public JobStatus status() {
            return new JobStatus(id, state, state.name(), user, state.isActive() ? nodes : List.of(), catalogRoot, run,
                    requeueable);
        }

        /** The job's catalog directory, as the core computes it. */
        public JobDirectory directory() {
            return JobCatalog.at(catalogRoot, Map.of()).job(id, user);
        }
    }

    /** Adds a running job of {@code user} with its catalog at {@code catalogRoot}. */
    public static Job add(String id, String user, Path catalogRoot) {
        Job job = new Job(id, user, catalogRoot);
        JOBS.put(id, job);
        return job;
    }

    public static void reset() {
        JOBS.clear();
        OPERATORS.clear();
        current = null;
        operatorQuestions = 0;
        failNextDrains = 0;
    }

    // ------------------------------------------------------------ provider

    @Override
    public String scheduler() {
        return NAME;
    }

    @Override
    public Optional<BatchJob> detect(Map<String, String> environment) {
        return Optional.ofNullable(current);
    }

    @Override
    public SchedulerAdapter create(Map<String, String> environment) {
        return this;
    }

    // ------------------------------------------------------------ adapter

    @Override
    public String apiVersion() {
        return "in-memory 1";
    }

    @Override
    public JobStatus job(String jobId) throws SchedulerException {
        return jobOf(jobId).status();
    }

    private static Job jobOf(String jobId) throws SchedulerException {
        Job job = JOBS.get(jobId);
        if (job == null) {
            throw new SchedulerException("job " + jobId + ": no such job");
        }
        return job;
    }

    @Override
    public List<JobStatus> jobsOn(String node) {
        return JOBS.values().stream().map(Job::status).filter(s -> s.state().isActive() && s.nodes().contains(node)).toList();
    }

    @Override
    public boolean isOperator(String user) {
        operatorQuestions++;
        return OPERATORS.contains(user);
    }

    @Override
    public void proveMembership(JobStatus job, JobProcess process, NodeExecutor nodes) throws SchedulerException {
        Job record = jobOf(job.jobId());
        record.events.add("prove " + process.pid());
        boolean ours = ProcessHandle.of(process.pid()).filter(ProcessHandle::isAlive)
                .map(InMemoryScheduler::descendsFromThisJvm).orElse(false);
        if (record.refuseProof || !ours) {
            throw JobCheckpointer.notTheJobs(job, process, record.refuseProof ? "the scheduler says no" : "not this JVM's");
        }
    }

    private static boolean descendsFromThisJvm(ProcessHandle process) {
        long me = ProcessHandle.current().pid();
        for (Optional<ProcessHandle> p = process.parent(); p.isPresent(); p = p.get().parent()) {
            if (p.get().pid() == me) {
                return true;
            }
        }
        return false;
    }

    /**
     * Sends the job's process SIGCONT, as Slurm does before it ends a requeued job, then records what
     * the workflow left before asking: whether the process still runs, how many contexts.
     */
    @Override
    public void requeue(JobStatus job, VacateMode mode) throws SchedulerException {
        Job record = jobOf(job.jobId());
        continueTheJobsProcess(record);   // as Slurm does before it ends a job: a stopped process would run on
        record.events.add("requeue " + mode + " " + stateOfTheJobsProcess(record));
        if (record.failRequeue) {
            throw new SchedulerException("the in-memory scheduler refuses to requeue job " + job.jobId());
        }
        record.state = mode == VacateMode.HOLD ? JobState.HELD : JobState.PENDING;
    }

    /** Records the exclusion (the job's process ended by then) and excludes exactly {@code atRisk}. */
    @Override
    public List<String> excludeNodes(JobStatus job, List<String> atRisk, List<String> earlier) throws SchedulerException {
        Job record = jobOf(job.jobId());
        record.events.add("exclude " + String.join(",", atRisk) + " (earlier: " + String.join(",", earlier) + ") "
                + stateOfTheJobsProcess(record));
        return List.copyOf(atRisk);
    }

    @Override
    public void release(JobStatus job) throws SchedulerException {
        Job record = jobOf(job.jobId());
        record.events.add("release " + job.state());
        record.state = JobState.PENDING;
    }

    @Override
    public void drain(String node, String reason) throws SchedulerException {
        if (failNextDrains > 0) {
            failNextDrains--;
            throw new SchedulerException("the in-memory scheduler is down");
        }
        JOBS.values().forEach(job -> job.events.add("drain " + node));
    }

    @Override
    public void resume(String node) {
    }

    @Override
    public Optional<String> migrationTarget(String fromNode) {
        return Optional.empty();
    }

    /**
     * Whether {@code pid} has ended or been sent SIGKILL: gone, a zombie, or SIGKILL pending (a
     * kill takes effect asynchronously; what counts for a workflow is that it was sent).
     */
    static boolean ended(long pid) {
        try {
            List<String> status = java.nio.file.Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
            for (String line : status) {
                if (line.startsWith("State:") && (line.contains("Z") || line.contains("X"))) {
                    return true;
                }
                if ((line.startsWith("ShdPnd:") || line.startsWith("SigPnd:"))
                        && (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << 8)) != 0) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return true;   // no such process
        }
    }

    private static void continueTheJobsProcess(Job job) {
        try {
            Optional<JobProcess> process = job.directory().process();
            if (process.isPresent()) {
                new ProcessBuilder("kill", "-CONT", Long.toString(process.get().pid())).start().waitFor();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether {@code pid} is held frozen by a tracer (state t), as a vacate's checkpoint leaves it while it asks. */
    static boolean held(long pid) {
        try {
            return java.nio.file.Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))
                    .contains("State:\tt (tracing stop)");
        } catch (IOException e) {
            return false;
        }
    }

    /** "process alive|held|ended, N contexts, vacating yes|no". */
    private static String stateOfTheJobsProcess(Job job) {
        try {
            JobDirectory dir = job.directory();
            Optional<JobProcess> process = dir.process();
            String state = process.map(p -> ended(p.pid()) ? "ended" : held(p.pid()) ? "held" : "alive")
                    .orElse("ended");
            return "process " + state + ", " + dir.contexts().size() + " contexts, vacating "
                    + (dir.isVacating() ? "yes" : "no");
        } catch (IOException e) {
            return "catalog unreadable: " + e.getMessage();
        }
    }
}
