package org.cryo.pbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.cryo.scheduler.NodeState;
import org.junit.jupiter.api.Test;

/**
 * The adapter's node state against {@code pbsnodes -av -F json} of a real OpenPBS 23.06.06,
 * replayed ({@link RecordedPbs}): PBS's own state and comment, and the state in Cryo's words.
 */
class PbsNodeStateContractTest {
    private static NodeState stateIn(String recording) throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve(recording)) {
            NodeState state = pbs.adapter().nodeState("vm");
            assertEquals(List.of("pbsnodes -av -F json"), pbs.calls());
            return state;
        }
    }

    @Test
    void aFreeNodeWithoutJobsIsIdle() throws Exception {
        NodeState state = stateIn("pbsnodes-av.json");
        assertEquals(new NodeState("vm", "free", NodeState.Kind.IDLE, ""), state);
    }

    @Test
    void aFreeNodeRunningAJobOnOneOfItsTwoCpusIsMixed() throws Exception {
        assertEquals(NodeState.Kind.MIXED, stateIn("pbsnodes-av-with-job.json").kind());
    }

    @Test
    void anOfflinedNodeStillRunningItsJobIsDrainingWithTheDrainsComment() throws Exception {
        NodeState state = stateIn("P-pbsnodes-after-offline.json");
        assertEquals(new NodeState("vm", "offline", NodeState.Kind.DRAINING, "cryo drain test"), state);
        assertEquals(true, state.kind().outOfService());
    }

    @Test
    void aClearedNodeIsBackInServiceThoughItsOldCommentStays() throws Exception {
        NodeState state = stateIn("P-pbsnodes-after-clear.json");
        assertEquals(NodeState.Kind.MIXED, state.kind());
        assertEquals("free", state.nativeState());
    }

    @Test
    void aNodePbsDoesNotListIsUnknownAndABadNameIsRefused() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("pbsnodes-av.json")) {
            NodeState state = pbs.adapter().nodeState("other");
            assertEquals(NodeState.Kind.UNKNOWN, state.kind());
            assertEquals("PBS lists no node other", state.reason());
            assertThrows(IllegalArgumentException.class, () -> pbs.adapter().nodeState("vm; rm -rf /"));
        }
    }

    @Test
    void downOfflineAndBusyCombinationsAreNormalised() {
        assertEquals(NodeState.Kind.DOWN, PbsAdapter.nodeState("n", java.util.Map.of("state", "down,offline")).kind());
        assertEquals(NodeState.Kind.DOWN, PbsAdapter.nodeState("n", java.util.Map.of("state", "state-unknown")).kind());
        assertEquals(NodeState.Kind.DRAINED, PbsAdapter.nodeState("n", java.util.Map.of("state", "offline")).kind());
        assertEquals(NodeState.Kind.ALLOCATED, PbsAdapter.nodeState("n",
                java.util.Map.of("state", "job-busy", "jobs", List.of("1.vm"))).kind());
    }
}
