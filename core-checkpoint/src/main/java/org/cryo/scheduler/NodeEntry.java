package org.cryo.scheduler;

import java.util.List;

/**
 * A scheduler's own way to run a command on one of a job's nodes, inside the job (Slurm
 * {@code srun --jobid=J --overlap}, Grid Engine {@code qrsh -inherit}, PBS {@code pbs_tmrsh}):
 * what a normal user's job can use where ssh is closed, and what keeps the command in the job's
 * cgroup and accounting.
 *
 * @param prefix the command line before the command itself
 * @param asJobUser the command runs as the job's user whoever calls (srun into another user's job):
 *                  the caller must not switch user itself
 * @param environment variables the prefix needs (qrsh -inherit's JOB_ID)
 * @param remoteShell the command reaches the node as one line a shell splits again (qrsh -inherit,
 *                    like ssh): each word is quoted for it
 */
public record NodeEntry(List<String> prefix, boolean asJobUser, java.util.Map<String, String> environment,
                        boolean remoteShell) {
    public NodeEntry {
        prefix = List.copyOf(prefix);
        environment = java.util.Map.copyOf(environment);
    }

    /** An entry that passes the command's words as they are (srun, pbs_tmrsh). */
    public NodeEntry(List<String> prefix, boolean asJobUser, java.util.Map<String, String> environment) {
        this(prefix, asJobUser, environment, false);
    }
}
