/**
 * The scheduler SPI: what Cryo needs from a batch system (Slurm, Grid Engine, PBS) and what it
 * offers it.
 *
 * <p>An adapter ({@link org.cryo.scheduler.SchedulerAdapter}, found through
 * {@link org.cryo.scheduler.SchedulerAdapterProvider} and {@link java.util.ServiceLoader}) knows
 * the scheduler's API: job state, requeue, hold and release, node drain.  What is the same for
 * every scheduler lives here: the catalog of context files per job on shared storage
 * ({@link org.cryo.scheduler.JobCatalog}), the record of a job's checkpointable process that
 * {@code cr_run} leaves there ({@link org.cryo.scheduler.JobProcess}), running a checkpoint on the
 * node that holds the job ({@link org.cryo.scheduler.NodeExecutor},
 * {@link org.cryo.scheduler.JobCheckpointer}), and recognising a batch job from its environment
 * ({@link org.cryo.scheduler.BatchJob}).
 *
 * <p>The verbs map onto each scheduler's own: Slurm's {@code scontrol requeue/requeuehold/release},
 * Grid Engine's checkpointing environment ({@code migr_command}) and DRMAA {@code control()},
 * PBS's {@code qhold}/{@code qrls} and MoM {@code $action checkpoint[_abort]}.
 */
package org.cryo.scheduler;
