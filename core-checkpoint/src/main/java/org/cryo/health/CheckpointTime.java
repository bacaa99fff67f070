package org.cryo.health;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.SchedulerException;

/**
 * The time the node's jobs need to checkpoint (the temperature trend rule's lead), measured from
 * their catalogs' {@code durations} records: per checkpointable job (one with a cr_run process)
 * the 95th percentile of its last checkpoints' durations, or {@code checkpoint.time} for a job
 * that has none; summed, since an evacuation moves the node's jobs one after another.  A node
 * without checkpointable jobs, or whose scheduler does not answer, has the configured value.
 */
public final class CheckpointTime {
    static final double PERCENTILE = 0.95;

    /** One job's part: its estimate, and where it came from ("p95 of 12 checkpoints", "configured: none recorded"). */
    public record JobPart(String jobId, Duration time, String source) {
    }

    /** The node's estimate, its parts, and a one-line account of it. */
    public record Estimate(Duration time, boolean measured, List<JobPart> jobs, String explanation) {
        public static Estimate configured(Duration configured, String why) {
            return new Estimate(configured, false, List.of(), HealthPolicy.format(configured) + " configured (" + why + ")");
        }
    }

    private CheckpointTime() {
    }

    /** The estimate for the checkpointable jobs of {@code node} now. */
    public static Estimate of(JobControl jobs, String node, Duration configured) {
        List<JobStatus> running;
        try {
            running = jobs.adapter().jobsOn(node);
        } catch (SchedulerException | RuntimeException e) {
            return Estimate.configured(configured, "the node's jobs not read: " + e.getMessage());
        }
        List<JobPart> parts = new ArrayList<>();
        for (JobStatus job : running) {
            try {
                if (jobs.processes(job.jobId()).isEmpty()) {
                    continue;   // not checkpointable: an evacuation skips it
                }
                parts.add(part(job.jobId(), jobs.checkedDirectory(job).checkpointMillis(), configured));
            } catch (SchedulerException | IOException | RuntimeException e) {
                parts.add(new JobPart(job.jobId(), configured, "configured: catalog not readable: " + e.getMessage()));
            }
        }
        if (parts.isEmpty()) {
            return Estimate.configured(configured, "no checkpointable job on " + node);
        }
        Duration total = parts.stream().map(JobPart::time).reduce(Duration.ZERO, Duration::plus);
        boolean measured = parts.stream().anyMatch(p -> !p.source().startsWith("configured"));
        List<String> each = parts.stream().map(p -> "job " + p.jobId() + " " + seconds(p.time()) + " (" + p.source() + ")").toList();
        return new Estimate(total, measured, List.copyOf(parts), seconds(total) + (measured ? " measured" : " configured")
                + (parts.size() > 1 ? ", the sum of " : ": ") + String.join(", ", each));
    }

    /** A job's estimate from its recorded durations (ms). */
    static JobPart part(String jobId, List<Long> millis, Duration configured) {
        if (millis.isEmpty()) {
            return new JobPart(jobId, configured, "configured: no checkpoint recorded");
        }
        return new JobPart(jobId, Duration.ofMillis(percentile(millis, PERCENTILE)),
                "p95 of " + millis.size() + " checkpoint" + (millis.size() == 1 ? "" : "s"));
    }

    /** The nearest-rank percentile: with few samples, their largest. */
    static long percentile(List<Long> values, double p) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int rank = (int) Math.ceil(p * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
