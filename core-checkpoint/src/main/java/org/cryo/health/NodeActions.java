package org.cryo.health;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.JobDirectory;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;

/**
 * What a verdict makes the agent do, through the scheduler's adapter: {@code warn} drains the
 * node (no new work; its jobs run on); {@code evacuate} drains it and vacates (checkpoint,
 * requeue) each checkpointable job, which the scheduler then starts on a node that is not drained
 * (an at-risk node is drained, so it is never a target); {@code fail} drains it and requeues the
 * jobs without a checkpoint (too late for one), so they restart from their latest periodic
 * context.  Each level is acted on once while it lasts (a level that fell and rises again is acted
 * on again: the admin may have resumed the node meanwhile); a failure (the scheduler down) is kept and retried with
 * backoff, never dropped.  Every job's run is claimed in its catalog first, so two agents never
 * move one run twice.  The node is never resumed by the agent: that is the admin's call.
 */
public final class NodeActions {
    private static final long FIRST_RETRY_MILLIS = 2000;
    private static final long MAX_RETRY_MILLIS = 300_000;

    private final JobControl jobs;
    private final String node;
    private final String agent;
    private final boolean dryRun;
    private Level acted = Level.OK;
    private int failures;
    private long nextAttempt;

    public NodeActions(JobControl jobs, String node, String agent, boolean dryRun) {
        this.jobs = jobs;
        this.node = node;
        this.agent = agent;
        this.dryRun = dryRun;
    }

    public JobControl jobs() {
        return jobs;
    }

    public String node() {
        return node;
    }

    public boolean dryRun() {
        return dryRun;
    }

    /** The level acted on so far. */
    public synchronized Level acted() {
        return acted;
    }

    /** Retries pending after failures (0: nothing pending). */
    public synchronized int failures() {
        return failures;
    }

    /** What to do about {@code verdict} now; null when there is nothing to do. */
    public synchronized Decision act(Verdict verdict, long now) {
        Level level = verdict.level();
        if (level.compareTo(acted) < 0) {
            // the node got better (past the hysteresis): a new rise is a new incident, acted on again
            acted = level;
            failures = 0;
        }
        if (level.compareTo(acted) <= 0 || level == Level.OK) {
            return null;
        }
        if (failures > 0 && now < nextAttempt) {
            return null;   // backing off after a failure; the decision is kept, not lost
        }
        String action = switch (level) {
            case WARN -> "drain";
            case EVACUATE -> "evacuate";
            default -> "requeue";
        };
        if (dryRun) {
            acted = level;
            return new Decision(now, node, level, action, verdict.reason(), "dry-run: would " + describe(action), wouldMove(),
                    -1);
        }
        long drained = -1;
        List<Decision.JobOutcome> outcomes = new ArrayList<>();
        try {
            jobs.adapter().drain(node, verdict.reason());
            drained = System.currentTimeMillis() - verdict.at();
            if (level == Level.EVACUATE) {
                outcomes.addAll(evacuate(verdict.at()));
            } else if (level == Level.FAIL) {
                outcomes.addAll(requeueWithoutCheckpoint(verdict.at()));
            }
        } catch (SchedulerException | RuntimeException e) {
            failures++;
            long backoff = Math.min(MAX_RETRY_MILLIS, FIRST_RETRY_MILLIS << Math.min(failures - 1, 20));
            nextAttempt = now + backoff;
            return new Decision(now, node, level, action, verdict.reason(), "failed: " + e.getMessage()
                    + " (attempt " + failures + ", retry in " + backoff / 1000 + " s)", outcomes, drained);
        }
        boolean jobFailed = outcomes.stream().anyMatch(o -> o.outcome().startsWith("failed"));
        if (jobFailed) {
            failures++;
            long backoff = Math.min(MAX_RETRY_MILLIS, FIRST_RETRY_MILLIS << Math.min(failures - 1, 20));
            nextAttempt = now + backoff;
            return new Decision(now, node, level, action, verdict.reason(), "failed: a job did not move (attempt " + failures
                    + ", retry in " + backoff / 1000 + " s)", outcomes, drained);
        }
        acted = level;
        failures = 0;
        return new Decision(now, node, level, action, verdict.reason(), "done", outcomes, drained);
    }

    private static String describe(String action) {
        return switch (action) {
            case "drain" -> "drain the node";
            case "evacuate" -> "drain the node and checkpoint and requeue its checkpointable jobs";
            default -> "drain the node and requeue its jobs from their latest periodic checkpoints";
        };
    }

    private List<Decision.JobOutcome> wouldMove() {
        List<Decision.JobOutcome> outcomes = new ArrayList<>();
        try {
            for (JobStatus job : jobs.adapter().jobsOn(node)) {
                outcomes.add(new Decision.JobOutcome(job.jobId(), "dry-run: would move", null, -1, -1));
            }
        } catch (SchedulerException e) {
            outcomes.add(new Decision.JobOutcome("?", "dry-run: cannot list the node's jobs: " + e.getMessage(), null, -1, -1));
        }
        return outcomes;
    }

    private List<Decision.JobOutcome> evacuate(long detected) throws SchedulerException {
        List<Decision.JobOutcome> outcomes = new ArrayList<>();
        for (JobStatus job : jobs.adapter().jobsOn(node)) {
            if (jobs.processes(job.jobId()).isEmpty()) {
                outcomes.add(new Decision.JobOutcome(job.jobId(), "skipped: not checkpointable (no cr_run process)", null, -1, -1));
                continue;
            }
            Optional<String> claimed = claim(job);
            if (claimed.isPresent()) {
                outcomes.add(new Decision.JobOutcome(job.jobId(), "skipped: " + claimed.get(), null, -1, -1));
                continue;
            }
            try {
                CheckpointRecord record = jobs.vacateAwayFrom(job.jobId(), VacateMode.REQUEUE,
                        org.cryo.scheduler.JobMove.Reason.HEALTH, List.of(node));
                outcomes.add(new Decision.JobOutcome(job.jobId(), "moved", record.file().toString(), record.millis(),
                        System.currentTimeMillis() - detected));
            } catch (SchedulerException e) {
                release(job);
                outcomes.add(new Decision.JobOutcome(job.jobId(), "failed: " + e.getMessage(), null, -1, -1));
            }
        }
        return outcomes;
    }

    private List<Decision.JobOutcome> requeueWithoutCheckpoint(long detected) throws SchedulerException {
        List<Decision.JobOutcome> outcomes = new ArrayList<>();
        for (JobStatus job : jobs.adapter().jobsOn(node)) {
            if (!job.requeueable()) {
                outcomes.add(new Decision.JobOutcome(job.jobId(), "skipped: not requeueable", null, -1, -1));
                continue;
            }
            Optional<String> claimed = claim(job);
            if (claimed.isPresent()) {
                outcomes.add(new Decision.JobOutcome(job.jobId(), "skipped: " + claimed.get(), null, -1, -1));
                continue;
            }
            try {
                String latest = jobs.checkedDirectory(job).latest().map(Object::toString).orElse(null);
                jobs.adapter().requeue(job, VacateMode.REQUEUE);
                outcomes.add(new Decision.JobOutcome(job.jobId(), latest == null ? "requeued (no context: reruns from the start)"
                        : "requeued (restarts from its latest context)", latest, -1, System.currentTimeMillis() - detected));
            } catch (SchedulerException | IOException e) {
                release(job);
                outcomes.add(new Decision.JobOutcome(job.jobId(), "failed: " + e.getMessage(), null, -1, -1));
            }
        }
        return outcomes;
    }

    /** Empty when this agent may move the job's run now; else who already did. */
    private Optional<String> claim(JobStatus job) {
        try {
            return jobs.directory(job).claimEvacuation(job.run(), agent + " at " + java.time.Instant.now(), 30_000)
                    .map(earlier -> "already moved (run " + job.run() + " claimed by " + earlier + ")");
        } catch (IOException | IllegalArgumentException e) {
            return Optional.of("cannot claim its catalog: " + e.getMessage());
        }
    }

    /** A move that failed gives its claim back, so that the retry (or another agent) may try again. */
    private void release(JobStatus job) {
        try {
            JobDirectory dir = jobs.directory(job);
            dir.releaseEvacuation(job.run());
        } catch (IOException | RuntimeException ignored) {
            // the claim stays: the retry of this agent reports it
        }
    }
}
