package org.cryo.pbs.live;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * {@code cryo pbs install-mom-actions --apply --server} on a real MoM and server: the three
 * {@code $action} lines are in the MoM's config, the MoM (after its SIGHUP) still serves the node,
 * the server has preempt_order C and root of this host as operator, and running it again changes
 * nothing and succeeds.
 */
@ResourceLock(PbsLive.LOCK)
class PbsInstallMomActionsLiveTest {
    @BeforeAll
    static void needsPbs() {
        PbsLive.assumePbs();
    }

    @Test
    void applyWritesTheMomLinesAndServerSettingsAndASecondApplyChangesNothing() throws Exception {
        PbsLive.cryo("pbs", "install-mom-actions", "--apply", "--server");
        PbsLive.waitUntil("the MoM to serve the node after its SIGHUP", 60, PbsLive::nodeFree);
        List<String> config = Files.readAllLines(PbsLive.pbsHome().resolve("mom_priv/config"));
        Path action = PbsLive.HOME.resolve("plugin-pbs/bin/cryo-pbs-action");
        for (String event : List.of("checkpoint", "checkpoint_abort", "restart")) {
            assertTrue(config.stream().anyMatch(l -> l.matches("\\$action " + event + " \\d+ !" + action + " " + event
                    + " %jobid %sid %taskid %path %uid %gid %login %owner")), "the $action " + event + " line: " + config);
        }
        assertTrue(PbsLive.serverSettingsInPlace(), "preempt_order C and root@host as operator");

        String again = PbsLive.cryo("pbs", "install-mom-actions", "--apply", "--server");
        assertTrue(again.contains("nothing to change"), "the MoM lines are in place: " + again);
    }
}
