package org.cryo.slurm;

import com.fasterxml.jackson.databind.JsonNode;

/** What {@code cryo slurm rest} shows of slurmctld's statistics (REST diag, or sdiag). */
public record SlurmDiag(long serverThreads, long agentQueue, long jobsRunning, long jobsPending) {
    /** REST diag's "statistics" object: the same field names from v0.0.38 to v0.0.42. */
    static SlurmDiag fromRest(JsonNode statistics) {
        return new SlurmDiag(statistics.path("server_thread_count").asLong(), statistics.path("agent_queue_size").asLong(),
                statistics.path("jobs_running").asLong(), statistics.path("jobs_pending").asLong());
    }
}
