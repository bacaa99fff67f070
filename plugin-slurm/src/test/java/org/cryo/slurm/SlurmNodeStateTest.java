package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.cryo.scheduler.NodeState;
import org.junit.jupiter.api.Test;

/**
 * How {@code scontrol -o show node}'s State and Reason become a node state (Slurm 22.05's
 * spelling; the live test of the console reads it from the real cluster after a drain).
 */
class SlurmNodeStateTest {
    private static NodeState of(String line) {
        return SlurmCommands.nodeState(SlurmCommands.fields(line));
    }

    @Test
    void baseStatesAndFlagsMapOntoCryosWords() {
        assertEquals(NodeState.Kind.IDLE, of("NodeName=n1 Arch=x86_64 CPUAlloc=0 CPUTot=2 State=IDLE ThreadsPerCore=1").kind());
        assertEquals(NodeState.Kind.MIXED, of("NodeName=n1 State=MIXED").kind());
        assertEquals(NodeState.Kind.ALLOCATED, of("NodeName=n1 State=ALLOCATED").kind());
        assertEquals(NodeState.Kind.DRAINING, of("NodeName=n1 State=MIXED+DRAIN").kind());
        assertEquals(NodeState.Kind.DRAINING, of("NodeName=n1 State=IDLE+DRAIN+COMPLETING").kind());
        assertEquals(NodeState.Kind.DRAINED, of("NodeName=n1 State=IDLE+DRAIN").kind());
        assertEquals(NodeState.Kind.DOWN, of("NodeName=n1 State=IDLE* ").kind());
        assertEquals(NodeState.Kind.DOWN, of("NodeName=n1 State=DOWN+DRAIN").kind());
        assertEquals(NodeState.Kind.UNKNOWN, of("NodeName=n1 State=FUTURE").kind());
    }

    @Test
    void theReasonIsSlurmsWithoutTheUserAndTimeItAdds() {
        NodeState state = of("NodeName=n2 CPUAlloc=1 CPUTot=2 State=MIXED+DRAIN ThreadsPerCore=1 "
                + "Reason=cryo health evacuate: ECC corrected [root@2026-12-01T23:10:02]");
        assertEquals(new NodeState("n2", "MIXED+DRAIN", NodeState.Kind.DRAINING, "cryo health evacuate: ECC corrected"), state);
        assertEquals("", of("NodeName=n1 State=IDLE Reason=(null)").reason());
    }
}
