package org.cryo.pbs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What install-mom-actions --server would set, from the recorded server (preempt_order SCR, no operators). */
class ServerSettingsTest {
    @Test
    void onlyWhatDiffersIsNeeded() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("qmgr-list-sched.txt").serve("qstat-Bf.json")) {
            List<String[]> needed = new ServerSettings(pbs.commands(), "vm").needed();
            assertEquals(List.of("set sched preempt_order = C", "set server operators += root@vm"),
                    needed.stream().map(n -> n[0]).toList());
            assertEquals("preemption by checkpoint; now SCR", needed.get(0)[1]);
            assertEquals(List.of("qmgr -c list sched", "qstat -Bf -F json"), pbs.calls());
        }
    }
}
