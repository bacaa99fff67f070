package org.cryo.health;

import java.io.IOException;
import java.time.Duration;
import java.util.Properties;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDataMap;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;

/**
 * {@code cryo agent}: polls the node's monitors every {@link HealthPolicy#pollInterval} (Quartz),
 * applies the policy, acts through the scheduler's adapter ({@link NodeActions}), keeps a journal
 * and serves its state ({@link AgentHttp}).  One poll at a time; a poll that fails in any way is
 * a notice, and the next one comes as scheduled.
 */
public final class NodeAgent implements AutoCloseable {
    private static final String TASK = "task";

    private final NodeHealth health;
    private final NodeActions actions;
    private final Journal journal;
    /** The node's jobs' checkpoint time is measured again at most this often (it reads every job's catalog). */
    private static final long ESTIMATE_EVERY_MILLIS = 60_000;

    private Scheduler scheduler;
    private volatile long polls;
    private volatile CheckpointTime.Estimate estimate;
    private long estimatedAt;

    public NodeAgent(NodeHealth health, NodeActions actions, Journal journal) {
        this.health = health;
        this.actions = actions;
        this.journal = journal;
    }

    public NodeHealth health() {
        return health;
    }

    public NodeActions actions() {
        return actions;
    }

    public Journal journal() {
        return journal;
    }

    public long polls() {
        return polls;
    }

    /** The checkpoint time the last poll judged with (null before the first). */
    public CheckpointTime.Estimate checkpointTime() {
        return estimate;
    }

    private CheckpointTime.Estimate estimate(long now) {
        if (estimate == null || now - estimatedAt >= ESTIMATE_EVERY_MILLIS) {
            estimate = CheckpointTime.of(actions.jobs(), actions.node(), health.policy().checkpointTime());
            estimatedAt = now;
        }
        return estimate;
    }

    /** One poll: read, judge (with the node's jobs' measured checkpoint time), act, journal.  Returns the decision taken, if any. */
    public synchronized Decision pollOnce() {
        long now = System.currentTimeMillis();
        Verdict verdict = health.poll(now, estimate(now).time());
        polls++;
        Decision decision;
        try {
            decision = actions.act(verdict, now);
        } catch (RuntimeException e) {
            health.tree().notices().value("agent: acting on " + verdict.level().label() + " failed: " + e);
            return null;
        }
        if (decision != null) {
            try {
                journal.record(decision);
            } catch (IOException e) {
                health.tree().notices().value("agent: journal not written: " + e.getMessage());
            }
            System.err.println("cryo agent: " + actions.node() + ": " + decision.level().label() + ": " + decision.action()
                    + ": " + decision.outcome() + " (" + decision.reason() + ")");
        }
        return decision;
    }

    /** Starts polling every {@code interval}, the first poll now. */
    public NodeAgent start(Duration interval) throws org.quartz.SchedulerException {
        Properties properties = new Properties();
        properties.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_NAME, "cryo-agent-" + System.identityHashCode(this));
        properties.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
        properties.setProperty("org.quartz.threadPool.threadCount", "1");
        properties.setProperty("org.quartz.threadPool.makeThreadsDaemons", "true");
        properties.setProperty("org.quartz.scheduler.makeSchedulerThreadDaemon", "true");
        properties.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
        scheduler = new StdSchedulerFactory(properties).getScheduler();
        JobDataMap data = new JobDataMap();
        data.put(TASK, (Runnable) this::pollOnce);
        scheduler.scheduleJob(JobBuilder.newJob(PollJob.class).withIdentity("poll").usingJobData(data).build(),
                TriggerBuilder.newTrigger().withIdentity("every").startNow()
                        .withSchedule(SimpleScheduleBuilder.simpleSchedule().withIntervalInMilliseconds(interval.toMillis())
                                .repeatForever().withMisfireHandlingInstructionNextWithRemainingCount())
                        .build());
        scheduler.start();
        return this;
    }

    @Override
    public void close() {
        if (scheduler != null) {
            try {
                scheduler.shutdown(true);
            } catch (org.quartz.SchedulerException ignored) {
                // daemon threads
            }
        }
    }

    /** Quartz instantiates this per firing; the work is the Runnable in the job data. */
    @DisallowConcurrentExecution
    public static final class PollJob implements Job {
        @Override
        public void execute(JobExecutionContext context) {
            ((Runnable) context.getMergedJobDataMap().get(TASK)).run();
        }
    }
}
