package org.cryo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * cr_run's choice of MPICH hydra's launcher in a batch job: fork on one node, else hydra's own
 * (the launched job is SlurmMpiJobTest's MPICH case).
 */
class HydraLauncherTest {
    @Test
    void aJobOfOneNodeForksItsProxiesUnlessItChoseALauncher() {
        assertEquals(Map.of("HYDRA_LAUNCHER", "fork"), launcher(OptionalInt.of(1), Map.of()));
        assertEquals(Map.of("HYDRA_LAUNCHER", "ssh"), launcher(OptionalInt.of(1), Map.of("HYDRA_LAUNCHER", "ssh")));
        // what Slurm 23.11 and later set in every job, which HYDRA_LAUNCHER overrides
        assertEquals(Map.of("HYDRA_BOOTSTRAP", "slurm", "HYDRA_LAUNCHER", "fork"),
                launcher(OptionalInt.of(1), Map.of("HYDRA_BOOTSTRAP", "slurm")));
    }

    @Test
    void aJobOfMoreNodesOrOfAnUnknownCountKeepsHydrasChoice() {
        assertEquals(Map.of(), launcher(OptionalInt.of(2), Map.of()));
        assertEquals(Map.of(), launcher(OptionalInt.empty(), Map.of()));
    }

    private static Map<String, String> launcher(OptionalInt nodes, Map<String, String> given) {
        Map<String, String> environment = new HashMap<>(given);
        RunCommand.hydraForksItsProxies(nodes, environment);
        return environment;
    }
}
