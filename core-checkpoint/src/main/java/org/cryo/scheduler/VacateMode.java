package org.cryo.scheduler;

/** What happens to a job once its context is saved and its process ended. */
public enum VacateMode {
    /** Back to the queue, eligible at once: it restarts from the context (Slurm requeue, SGE migrate). */
    REQUEUE,
    /** Back to the queue, held until restarted (Slurm requeuehold, PBS/Torque qhold, SGE qhold). */
    HOLD
}
