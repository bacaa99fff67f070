package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Cryo's checkpointing environment as a qconf file, compared with what qmaster holds (no daemon). */
class CheckpointEnvironmentTest {
    private static final CheckpointEnvironment CRYO = new CheckpointEnvironment("cryo", "/opt/cryo/bin/cryo", "sxm", "NONE");

    @Test
    void qconfsOwnListingOfItDiffersInNothing() {
        // qconf -sckpt: aligned columns, long lines continued with a backslash, when letters reordered
        String shown = "ckpt_name          cryo\ninterface          application-level\n"
                + "ckpt_command       /opt/cryo/bin/cryo job checkpoint --scheduler \\\n                   gridengine $job_id\n"
                + "migr_command       /bin/kill -STOP $job_pid; /opt/cryo/bin/cryo job migrate \\\n"
                + "                   --scheduler gridengine $job_id; /bin/kill -KILL -- \\\n"
                + "                   -$job_pid\n"
                + "restart_command    NONE\nclean_command      /opt/cryo/bin/cryo job clean --scheduler gridengine --keep 0 $job_id\n"
                + "ckpt_dir           NONE\nsignal             none\nwhen               xsm\n";
        assertEquals(List.of(), CRYO.differences(CheckpointEnvironment.parse(shown)));
        assertEquals(List.of(), CRYO.differences(CheckpointEnvironment.parse(CRYO.text())));
    }

    @Test
    void eachDifferenceIsNamed() {
        String shown = CRYO.text().replace("when sxm", "when xmr").replace("application-level", "userdefined");
        assertEquals(List.of("interface: 'userdefined' -> 'application-level'", "when: 'xmr' -> 'sxm'"),
                CRYO.differences(CheckpointEnvironment.parse(shown)));
    }

    @Test
    void theCommandsNeverUseSgeRootAndBadValuesAreRefused() {
        assertTrue(CRYO.text().lines().noneMatch(l -> l.contains("$sge_root") || l.contains("$sge_cell")));
        assertThrows(IllegalArgumentException.class, () -> new CheckpointEnvironment("cryo", "/c", "q", "NONE"));
        assertThrows(IllegalArgumentException.class, () -> new CheckpointEnvironment("cryo", "/c", "ss", "NONE"));
        assertThrows(IllegalArgumentException.class, () -> new CheckpointEnvironment("a b", "/c", "s", "NONE"));
        assertThrows(IllegalArgumentException.class, () -> new CheckpointEnvironment("cryo", "/c", "s", "relative"));
        assertThrows(IllegalArgumentException.class, () -> new CheckpointEnvironment("cryo", "/my cryo", "s", "NONE"));
    }

    @Test
    void queueListsAreReadAsGridEngineWritesThem() {
        assertTrue(CheckpointEnvironmentInstaller.listed("ckpt_app ckpt_user cryo", "cryo"));
        assertTrue(CheckpointEnvironmentInstaller.listed("ckpt_app,cryo", "cryo"));
        assertTrue(!CheckpointEnvironmentInstaller.listed("NONE", "cryo"));
        assertTrue(!CheckpointEnvironmentInstaller.listed("cryo2", "cryo"));
    }
}
