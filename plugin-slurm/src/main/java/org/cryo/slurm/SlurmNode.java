package org.cryo.slurm;

/**
 * A node as slurmrestd describes it.
 *
 * @param state     "idle", "mixed", "allocated", "down", ...
 * @param drained   whether it is drained or draining
 */
public record SlurmNode(String name, String state, boolean drained, int cpus, int allocatedCpus) {
    public boolean canTakeJobs() {
        return !drained && (state.equals("idle") || state.equals("mixed")) && allocatedCpus < cpus;
    }
}
