package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.cryo.scheduler.BatchJob;
import org.cryo.scheduler.JobRun;
import org.junit.jupiter.api.Test;

/** How a Slurm job recognises itself from its environment (no daemon needed: scontrol is not asked or fails). */
class SlurmJobEnvironmentTest {
    private final SlurmAdapterProvider provider = new SlurmAdapterProvider();

    @Test
    void withoutANumericSlurmJobIdThisIsNoSlurmJob() {
        assertTrue(provider.detect(Map.of()).isEmpty());
        assertTrue(provider.detect(Map.of("SLURM_JOB_ID", "")).isEmpty());
        assertTrue(provider.detect(Map.of("SLURM_JOB_ID", "12; rm -rf /")).isEmpty());
        assertTrue(provider.detect(Map.of("JOB_ID", "12", "SGE_ROOT", "/opt/sge")).isEmpty(), "Grid Engine's variables");
    }

    /** cr_run lets MPICH fork its proxies only on a job of one node (RunCommand.hydraForksItsProxies). */
    @Test
    void theNodeCountIsSlurmsOwnOrUnknown() {
        assertEquals(OptionalInt.of(1), provider.nodes(Map.of("SLURM_JOB_NUM_NODES", "1", "SLURM_NNODES", "3")));
        assertEquals(OptionalInt.of(3), provider.nodes(Map.of("SLURM_NNODES", "3")));
        assertEquals(OptionalInt.empty(), provider.nodes(Map.of("SLURM_JOB_NUM_NODES", "1-2")));
        assertEquals(OptionalInt.empty(), provider.nodes(Map.of()));
    }

    @Test
    void theRunIsTheRestartCount() {
        Map<String, String> env = Map.of("SLURM_JOB_ID", "12", "SLURM_RESTART_COUNT", "2", "CRYO_SCONTROL", "/bin/false",
                "SLURM_SUBMIT_DIR", "/home/a");
        BatchJob job = provider.detect(env).orElseThrow();
        assertEquals(new BatchJob("slurm", "12", new JobRun("2", JobRun.Start.RERUN), Path.of("/home/a/.cryo")), job);
        assertEquals(JobRun.Start.FIRST, provider.detect(Map.of("SLURM_JOB_ID", "12", "CRYO_SCONTROL", "/bin/false"))
                .orElseThrow().run().start());
    }

    @Test
    void theCatalogIsInTheWorkDirSlurmRecordsOrTheConfiguredDirectory() {
        String shown = "JobId=12 JobName=job.sh\n   UserId=alice(1000) GroupId=alice(1000) MCS_label=N/A\n"
                + "   Command=/home/a/job.sh\n   WorkDir=/scratch/a/run 3\n   StdErr=/home/a/slurm-12.out\n";
        assertEquals(Optional.of(Path.of("/scratch/a/run 3")), SlurmJobEnvironment.workDirFrom(shown));
        assertEquals(Optional.empty(), SlurmJobEnvironment.workDirFrom("slurm_load_jobs error: Invalid job id specified"));
        assertEquals(Optional.empty(), SlurmJobEnvironment.workDirFrom("   WorkDir=relative/dir\n"));
        BatchJob configured = provider.detect(Map.of("SLURM_JOB_ID", "12", "CRYO_SCONTROL", "/bin/false",
                "CRYO_CHECKPOINT_DIR", "/scratch/ckpt")).orElseThrow();
        assertEquals(Path.of("/scratch/ckpt"), configured.catalogRoot());
    }

    @Test
    void theAdministratorsViewOfAJobPutsItsCatalogInTheSamePlace() {
        SlurmJob job = new SlurmJob("12", "RUNNING", "None", "alice", java.util.List.of("vm"), "/scratch/a/run 3", 2, true, 1);
        assertEquals(Path.of("/scratch/a/run 3/.cryo"), job.status(Map.of()).catalogRoot());
        assertEquals("2", job.status(Map.of()).run());
        assertEquals(Path.of("/scratch/ckpt"), job.status(Map.of("CRYO_CHECKPOINT_DIR", "/scratch/ckpt")).catalogRoot());
    }
}
