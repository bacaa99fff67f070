package org.cryo.slurm;

import org.cryo.scheduler.SchedulerException;

/**
 * slurmrestd's API in one version: one class per shape ({@link SlurmApiV0038} for 22.05,
 * {@link SlurmApiV004x} for v0.0.40 to v0.0.42), as slurmrestd keeps one parser per version.
 * The verbs a version has no REST call for ({@link RestVersion#hasRest}) are refused here;
 * {@link SlurmControl} sends them to {@link SlurmCommands}.
 */
public interface SlurmApi extends SlurmClient {
    RestVersion version();

    @Override
    default void drainNode(String node, String reason) throws SchedulerException {
        throw notInVersion(SlurmVerb.NODE_UPDATE);
    }

    @Override
    default void resumeNode(String node) throws SchedulerException {
        throw notInVersion(SlurmVerb.NODE_UPDATE);
    }

    @Override
    default void requeue(String jobId, boolean hold) throws SchedulerException {
        throw notInVersion(SlurmVerb.REQUEUE);
    }

    private SchedulerException notInVersion(SlurmVerb verb) {
        return new SchedulerException("slurmrestd " + version().apiName() + " has no " + verb.title()
                + " (use " + verb.command() + ")");
    }
}
