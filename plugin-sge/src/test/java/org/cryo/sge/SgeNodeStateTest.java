package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.cryo.scheduler.NodeState;
import org.junit.jupiter.api.Test;

/**
 * A host's state from {@code qstat -f -q *@HOST -xml} of Grid Engine 8.1.9, as captured from the
 * test cluster (src/test/resources/qstat/queue_*.xml: idle; after {@code qmod -d *@HOST}, which
 * {@link SgeAdapter#drain} runs; with a one-slot job running, and disabled so).
 */
class SgeNodeStateTest {
    private static NodeState of(String recording) throws Exception {
        return SgeAdapter.nodeState("vm", QstatXml.queueInstances(resource(recording)));
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = SgeNodeStateTest.class.getResourceAsStream("/qstat/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void theQueueInstancesSlotsAndStateLettersGiveTheHostsState() throws Exception {
        assertEquals(new NodeState("vm", "all.q@vm", NodeState.Kind.IDLE, ""), of("queue_idle.xml"));
        assertEquals(new NodeState("vm", "all.q@vm", NodeState.Kind.MIXED, ""), of("queue_running.xml"),
                "one of two slots used; the job's own <state>r</state> is not the queue's");
        assertEquals(new NodeState("vm", "all.q@vm d", NodeState.Kind.DRAINED, "disabled (qmod -d)"), of("queue_disabled.xml"));
        assertEquals(NodeState.Kind.DRAINING, of("queue_disabled_running.xml").kind());
    }

    @Test
    void aHostIsDownOnlyWhenEveryQueueInstanceIsUnknownAndDrainedOnlyWhenEveryOneIsDisabled() {
        var up = new QstatXml.QueueInstance("all.q@vm", 2, 2, "");
        var unknown = new QstatXml.QueueInstance("all.q@vm", 0, 2, "au");
        var disabled = new QstatXml.QueueInstance("long.q@vm", 0, 2, "d");
        assertEquals(NodeState.Kind.ALLOCATED, SgeAdapter.nodeState("vm", List.of(up)).kind());
        NodeState down = SgeAdapter.nodeState("vm", List.of(unknown));
        assertEquals(NodeState.Kind.DOWN, down.kind());
        assertEquals("load threshold alarm (a); execd not answering (u)", down.reason());
        assertEquals(NodeState.Kind.MIXED, SgeAdapter.nodeState("vm", List.of(up, disabled)).kind(),
                "one queue still takes jobs");
        assertEquals(NodeState.Kind.UNKNOWN, SgeAdapter.nodeState("vm", List.of()).kind());
    }
}
