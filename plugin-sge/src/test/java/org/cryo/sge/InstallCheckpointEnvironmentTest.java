package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * {@code cryo sge install-ckpt-env} on the real qmaster: the first run adds the environment and
 * lists it in the queue, a second changes nothing and says so, another {@code --when} modifies
 * just that, and a bad value is a usage error.  The environment is a test one, removed after.
 */
@ResourceLock(SgeCluster.LOCK)
class InstallCheckpointEnvironmentTest {
    private static final String NAME = "cryo_install_test";

    private static String install(int status, String... options) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(SgeCluster.cryo(), "sge", "install-ckpt-env", "--name",
                NAME, "--queue", "all.q"));
        command.addAll(List.of(options));
        return SgeCluster.run(Path.of("/"), command, Map.of(), status).strip();
    }

    @Test
    void idempotentAndPrintsWhatItChanged() throws Exception {
        try {
            String first = install(0, "--when", "xm");
            assertTrue(first.contains("added checkpointing environment " + NAME), first);
            assertTrue(first.contains("added " + NAME + " to the ckpt_list of queue all.q"), first);
            Map<String, String> held = CheckpointEnvironment.parse(SgeCluster.run(Path.of("/"),
                    List.of("qconf", "-sckpt", NAME), Map.of(), 0));
            assertEquals("application-level", held.get("interface"));
            assertTrue(held.get("migr_command").contains(" job migrate --scheduler gridengine $job_id; "), held.toString());

            assertEquals("checkpointing environment " + NAME + ": nothing to change", install(0, "--when", "mx"));
            String changed = install(0, "--when", "sx");
            assertEquals(1, changed.lines().count(), changed);
            assertTrue(changed.contains("when: 'xm' -> 'sx'") || changed.contains("when: 'mx' -> 'sx'"), changed);
            String bad = install(1, "--when", "q");
            assertTrue(bad.contains("invalid --when 'q'"), bad);
        } finally {
            SgeCluster.execute(Path.of("/"), List.of("qconf", "-dattr", "queue", "ckpt_list", NAME, "all.q"), Map.of());
            SgeCluster.execute(Path.of("/"), List.of("qconf", "-dckpt", NAME), Map.of());
        }
    }
}
