/**
 * The scheduler SPI: what Cryo needs from a batch system and what it offers it (docs/SCHEDULERS.md).
 *
 * <p>A scheduler plugs in one {@link org.cryo.scheduler.SchedulerAdapterProvider}, found through
 * {@link java.util.ServiceLoader} only: it recognises its own jobs from their environment
 * ({@link org.cryo.scheduler.BatchJob}, with the run, {@link org.cryo.scheduler.JobRun}, and the
 * catalog root it decides), creates its {@link org.cryo.scheduler.SchedulerAdapter} (the scheduler's
 * verbs and state: job state, operators, the proof that a PID is the job's, requeue/hold, release,
 * drain) and brings its {@code cryo <scheduler>} commands.  The core knows no scheduler by name.
 *
 * <p>The workflows are the core's, the same for every scheduler ({@link org.cryo.scheduler.JobControl}):
 * checkpoint, vacate (checkpoint, end, requeue or hold), restart, enable/disable, last error,
 * node migration ({@link org.cryo.scheduler.Migration}), with the permission checks
 * ({@link org.cryo.scheduler.Permissions}), the catalog of context files on shared storage
 * ({@link org.cryo.scheduler.JobCatalog}, {@link org.cryo.scheduler.JobDirectory}: untrusted, read by
 * descriptor), the job's lock and retention, and the checkpoint on the job's node
 * ({@link org.cryo.scheduler.JobCheckpointer} runs the engine's native helper there through
 * {@link org.cryo.scheduler.NodeExecutor}).  The same workflows serve the node-side entry points a
 * scheduler's own hooks call, {@code cryo job checkpoint|migrate|restart|clean} (Grid Engine's
 * checkpointing environment, PBS MoM actions), and cr_run's periodic checkpoints
 * ({@link org.cryo.scheduler.PeriodicCheckpoints}, {@link org.cryo.scheduler.CheckpointInterval}).
 */
package org.cryo.scheduler;
