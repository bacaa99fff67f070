package org.cryo.site;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.cryo.scheduler.JobCheckpointer;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerAdapter;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;

/**
 * A scheduler in the test's JVM, for the console's API tests (the browser tests use the real Slurm
 * cluster): jobs and operators as the test sets them, every drain, resume, requeue and release
 * recorded.  Its proof of a job's process is that it descends from this JVM, which started it.
 */
final class FixtureScheduler implements SchedulerAdapter {
    static final class Job {
        final String id;
        final String user;
        final Path catalogRoot;
        volatile JobState state = JobState.RUNNING;
        volatile String node;

        Job(String id, String user, String node, Path catalogRoot) {
            this.id = id;
            this.user = user;
            this.node = node;
            this.catalogRoot = catalogRoot;
        }

        JobStatus status() {
            return new JobStatus(id, state, state.name(), user, state.isActive() ? List.of(node) : List.of(), catalogRoot,
                    "0", true);
        }
    }

    final Map<String, Job> jobs = new ConcurrentHashMap<>();
    final Set<String> operators = ConcurrentHashMap.newKeySet();
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    /** The drained nodes and their drain's reason, as a scheduler records them. */
    final Map<String, String> drained = new ConcurrentHashMap<>();

    Job add(String id, String user, String node, Path catalogRoot) {
        Job job = new Job(id, user, node, catalogRoot);
        jobs.put(id, job);
        return job;
    }

    @Override
    public String scheduler() {
        return "fixture";
    }

    @Override
    public String apiVersion() {
        return "fixture 1";
    }

    @Override
    public JobStatus job(String jobId) throws SchedulerException {
        Job job = jobs.get(jobId);
        if (job == null) {
            throw new SchedulerException("job " + jobId + ": no such job");
        }
        return job.status();
    }

    @Override
    public List<JobStatus> jobsOn(String node) {
        return jobs.values().stream().map(Job::status).filter(s -> s.nodes().contains(node))
                .sorted((a, b) -> a.jobId().compareTo(b.jobId())).toList();
    }

    @Override
    public boolean isOperator(String user) {
        return operators.contains(user);
    }

    @Override
    public void proveMembership(JobStatus job, JobProcess process, NodeExecutor nodes) throws SchedulerException {
        boolean ours = ProcessHandle.of(process.pid()).flatMap(ProcessHandle::parent)
                .map(p -> p.pid() == ProcessHandle.current().pid()).orElse(false);
        if (!ours) {
            throw JobCheckpointer.notTheJobs(job, process, "not started by this test");
        }
    }

    @Override
    public void requeue(JobStatus job, VacateMode mode) {
        events.add("requeue " + job.jobId());
        jobs.get(job.jobId()).state = mode == VacateMode.HOLD ? JobState.HELD : JobState.PENDING;
    }

    @Override
    public void release(JobStatus job) {
        events.add("release " + job.jobId());
        jobs.get(job.jobId()).state = JobState.RUNNING;
    }

    @Override
    public void drain(String node, String reason) {
        events.add("drain " + node + ": " + reason);
        drained.put(node, reason);
    }

    @Override
    public void resume(String node) {
        events.add("resume " + node);
        drained.remove(node);
    }

    /** "DRAIN" with the drain's reason, or "UP": drained/draining, idle/mixed by the node's jobs. */
    @Override
    public org.cryo.scheduler.NodeState nodeState(String node) {
        boolean runsJobs = !jobsOn(node).isEmpty();
        String reason = drained.get(node);
        return reason != null ? new org.cryo.scheduler.NodeState(node, "DRAIN", org.cryo.scheduler.NodeState.outOfScheduling(runsJobs), reason)
                : new org.cryo.scheduler.NodeState(node, "UP", org.cryo.scheduler.NodeState.inService(runsJobs, false), "");
    }

    @Override
    public Optional<String> migrationTarget(String fromNode) {
        return Optional.empty();
    }
}
