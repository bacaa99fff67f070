package org.cryo.scheduler;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.function.LongSupplier;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.CheckpointResult;
import org.cryo.api.Checkpointer;
import org.cryo.config.CryoConfig;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDataMap;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;

/**
 * Periodic checkpoints of a batch job's process, taken by cr_run itself on the job's node (the old
 * {@code sbatch --checkpoint=MINUTES}): a Quartz scheduler fires every interval, checkpoints the
 * process tree (it keeps running) into the job's catalog directory and keeps the last N context
 * files.  Skipped while checkpoints are disabled or a vacate is under way; a failure is recorded as
 * the job's last checkpoint error and the job runs on.
 */
public final class PeriodicCheckpoints implements AutoCloseable {
    private static final String TASK = "task";

    private final Scheduler scheduler;

    private PeriodicCheckpoints(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    /**
     * Starts checkpointing {@code pid.getAsLong()} every {@code interval} (first one after one
     * interval) into {@code dir}.
     */
    public static PeriodicCheckpoints start(Duration interval, LongSupplier pid, JobDirectory dir) throws SchedulerException {
        Properties properties = new Properties();
        properties.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_NAME, "cryo-periodic-" + dir.jobId());
        properties.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
        properties.setProperty("org.quartz.threadPool.threadCount", "1");
        properties.setProperty("org.quartz.threadPool.makeThreadsDaemons", "true");
        properties.setProperty("org.quartz.scheduler.makeSchedulerThreadDaemon", "true");
        properties.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
        Scheduler scheduler = new StdSchedulerFactory(properties).getScheduler();
        JobDataMap data = new JobDataMap();
        data.put(TASK, (Runnable) () -> checkpointOnce(pid.getAsLong(), dir));
        scheduler.scheduleJob(
                JobBuilder.newJob(CheckpointJob.class).withIdentity("checkpoint", dir.jobId()).usingJobData(data).build(),
                TriggerBuilder.newTrigger().withIdentity("every", dir.jobId())
                        .startAt(new java.util.Date(System.currentTimeMillis() + interval.toMillis()))
                        .withSchedule(SimpleScheduleBuilder.simpleSchedule()
                                .withIntervalInMilliseconds(interval.toMillis()).repeatForever()
                                .withMisfireHandlingInstructionNextWithRemainingCount())
                        .build());
        scheduler.start();
        return new PeriodicCheckpoints(scheduler);
    }

    /** One periodic checkpoint: the tree under {@code pid}, left running, filed and pruned in {@code dir}. */
    static void checkpointOnce(long pid, JobDirectory dir) {
        checkpointOnceWith(pid, dir, fullEvery(CryoConfig.effectiveEnvironment()));
    }

    /** {@link #checkpointOnce} with a full checkpoint every {@code fullEvery}. */
    static void checkpointOnceWith(long pid, JobDirectory dir, int fullEvery) {
        java.util.Optional<AutoCloseable> lock;
        try {
            if (pid <= 0 || dir.isDisabled() || dir.isVacating()) {
                return;
            }
            lock = dir.lock(0);
        } catch (java.io.IOException e) {
            System.err.println("cr_run: job " + dir.jobId() + ": periodic checkpoint skipped: " + e.getMessage());
            return;
        }
        if (lock.isEmpty()) {
            return;   // an administrator's checkpoint is under way: that one counts
        }
        try (AutoCloseable held = lock.get()) {
            if (dir.isVacating()) {
                return;
            }
            Path file = dir.create().nextContext();
            long start = System.nanoTime();
            Path parent = incrementalParent(dir, fullEvery);
            CheckpointResult result = Checkpointer.create().checkpoint(pid,
                    CheckpointOptions.builder().file(file).incremental(parent).build());
            dir.commit(file, (System.nanoTime() - start) / 1_000_000);
            System.err.printf("cr_run: job %s: periodic checkpoint of pid %d to %s in %d ms%n", dir.jobId(), pid, file,
                    (System.nanoTime() - start) / 1_000_000);
            assert result != null;
        } catch (Exception e) {
            if (vacating(dir)) {
                return;   // the process was vacated meanwhile
            }
            System.err.println("cr_run: job " + dir.jobId() + ": periodic checkpoint failed: " + e.getMessage());
            JobCheckpointer.recordError(dir, 1, "periodic checkpoint of pid " + pid + " failed: " + e.getMessage());
        }
    }

    /** {@code checkpoint.full_every} of cryo.conf, {@code $CRYO_FULL_EVERY}: every how many periodic checkpoints one is full (the others are incremental). */
    public static final String FULL_EVERY_VARIABLE = org.cryo.config.ConfigKeys.FULL_EVERY.variable();
    /** The default: one full checkpoint, then seven incremental ones on it. */
    public static final int DEFAULT_FULL_EVERY = 8;

    static int fullEvery(java.util.Map<String, String> environment) {
        String text = environment.get(FULL_EVERY_VARIABLE);
        try {
            return text == null || text.isBlank() ? DEFAULT_FULL_EVERY : Math.max(1, Integer.parseInt(text.strip()));
        } catch (NumberFormatException e) {
            return DEFAULT_FULL_EVERY;
        }
    }

    /**
     * The parent of the next periodic checkpoint: the latest context file, unless the chain
     * ending in it already holds {@code fullEvery} files (or cannot be read): then none, a full
     * file, which starts the next chain (and arms write tracking for it).
     */
    static Path incrementalParent(JobDirectory dir, int fullEvery) {
        try {
            java.util.Optional<Path> latest = dir.latest();
            if (latest.isEmpty() || fullEvery <= 1) {
                return null;
            }
            int depth = Checkpointer.create().chainLink(latest.get()).depth();
            return depth + 1 < fullEvery ? latest.get() : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static boolean vacating(JobDirectory dir) {
        try {
            return dir.isVacating();
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        try {
            scheduler.shutdown(true);
        } catch (SchedulerException ignored) {
            // daemon threads: they end with cr_run anyway
        }
    }

    /** Quartz instantiates this per firing; the work is the Runnable in the job data. */
    @DisallowConcurrentExecution
    public static final class CheckpointJob implements Job {
        @Override
        public void execute(JobExecutionContext context) {
            ((Runnable) context.getMergedJobDataMap().get(TASK)).run();
        }
    }
}
