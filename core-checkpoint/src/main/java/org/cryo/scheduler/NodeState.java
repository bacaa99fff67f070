package org.cryo.scheduler;

import java.util.Locale;

/**
 * A node's state as its scheduler names it ({@code nativeState}: Slurm's {@code MIXED+DRAIN},
 * PBS's {@code job-busy}, Grid Engine's queue state letters), the same state in Cryo's words
 * ({@link Kind}), and the reason the scheduler records for it ("" when none).  Adapters read it
 * from the scheduler; the console shows both.
 */
public record NodeState(String node, String nativeState, Kind kind, String reason) {
    /** A node's state in the words every adapter maps its scheduler's onto. */
    public enum Kind {
        /** Takes jobs and runs none. */
        IDLE,
        /** Every slot runs a job. */
        ALLOCATED,
        /** Runs jobs and has room for more. */
        MIXED,
        /** Out of scheduling and running nothing. */
        DRAINED,
        /** Out of scheduling; jobs still run there. */
        DRAINING,
        /** Not responding or marked down. */
        DOWN,
        /** The adapter cannot say (the scheduler did not answer, or knows no such node). */
        UNKNOWN;

        /** "idle", "allocated", ... as the console and the API show it. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Whether the scheduler keeps new jobs off the node. */
        public boolean outOfService() {
            return this == DRAINED || this == DRAINING || this == DOWN;
        }
    }

    public NodeState {
        nativeState = nativeState == null ? "" : nativeState;
        reason = reason == null ? "" : reason;
        if (node == null || kind == null) {
            throw new IllegalArgumentException("a node state needs a node and a kind");
        }
    }

    /** What an adapter answers when its scheduler does not say. */
    public static NodeState unknown(String node, String why) {
        return new NodeState(node, "", Kind.UNKNOWN, why);
    }

    /** The state of a node in service from whether it runs jobs and has room left. */
    public static Kind inService(boolean runsJobs, boolean full) {
        return full ? Kind.ALLOCATED : runsJobs ? Kind.MIXED : Kind.IDLE;
    }

    /** The state of a node out of scheduling from whether jobs still run there. */
    public static Kind outOfScheduling(boolean runsJobs) {
        return runsJobs ? Kind.DRAINING : Kind.DRAINED;
    }
}
