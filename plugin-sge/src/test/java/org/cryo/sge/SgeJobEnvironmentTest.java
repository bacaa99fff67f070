package org.cryo.sge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.cryo.scheduler.BatchJob;
import org.cryo.scheduler.JobRun;
import org.junit.jupiter.api.Test;

/** A Grid Engine job recognised from its environment, as cr_run and the hooks see it (no daemon). */
class SgeJobEnvironmentTest {
    private static final Map<String, String> JOB = Map.of("JOB_ID", "42", "SGE_ROOT", "/var/lib/gridengine",
            "SGE_O_WORKDIR", "/home/alice/run", "RESTARTED", "0");

    @Test
    void aJobIsItsIdItsRunAndItsCatalogInTheSubmitDirectory() {
        BatchJob job = SgeJobEnvironment.detect(JOB).orElseThrow();
        assertEquals(new BatchJob("gridengine", "42", new JobRun("", JobRun.Start.FIRST), Path.of("/home/alice/run/.cryo")),
                job);
        assertEquals(Path.of("/scratch/ckpt"), SgeJobEnvironment.detect(with("CRYO_CHECKPOINT_DIR", "/scratch/ckpt"))
                .orElseThrow().catalogRoot());
    }

    @Test
    void restartedOneAndTwoAreRerunsAnythingElseIsNotKnown() {
        assertEquals(JobRun.Start.RERUN, SgeJobEnvironment.detect(with("RESTARTED", "1")).orElseThrow().run().start());
        assertEquals(JobRun.Start.RERUN, SgeJobEnvironment.detect(with("RESTARTED", "2")).orElseThrow().run().start());
        assertEquals(JobRun.Start.UNKNOWN, SgeJobEnvironment.detect(with("RESTARTED", "x")).orElseThrow().run().start());
        assertEquals("", SgeJobEnvironment.detect(with("RESTARTED", "2")).orElseThrow().run().id(), "runs have no id");
    }

    @Test
    void notAGridEngineJob() {
        assertTrue(SgeJobEnvironment.detect(Map.of("JOB_ID", "42")).isEmpty(), "JOB_ID alone is anyone's variable");
        assertTrue(SgeJobEnvironment.detect(Map.of("SGE_ROOT", "/var/lib/gridengine")).isEmpty());
        assertTrue(SgeJobEnvironment.detect(with("JOB_ID", "42; rm -rf /")).isEmpty());
        assertTrue(SgeJobEnvironment.detect(Map.of("SLURM_JOB_ID", "7")).isEmpty());
    }

    private static Map<String, String> with(String name, String value) {
        Map<String, String> env = new java.util.HashMap<>(JOB);
        env.put(name, value);
        return env;
    }
}
