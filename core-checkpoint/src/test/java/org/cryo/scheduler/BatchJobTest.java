package org.cryo.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The core recognises a batch job only through the providers on the class path (here the test's
 * in-memory one; the Slurm provider's own detection is tested in plugin-slurm).
 */
@ResourceLock(InMemorySchedulerLock.NAME)
class BatchJobTest {
    @AfterEach
    void reset() {
        InMemoryScheduler.reset();
    }

    @Test
    void outsideAJobNothingIsDetectedWhateverVariablesAreSet() {
        // the variables the core used to know by name mean nothing to it now
        Map<String, String> env = Map.of("SLURM_JOB_ID", "12", "JOB_ID", "3", "SGE_ROOT", "/opt/sge", "PBS_JOBID", "4.pbs");
        assertTrue(BatchJob.detect(env).isEmpty());
        assertTrue(SchedulerAdapterProvider.detecting(env).isEmpty());
    }

    @Test
    void aProviderThatRecognisesTheJobGivesItsIdRunAndCatalog() throws Exception {
        BatchJob job = new BatchJob(InMemoryScheduler.NAME, "8", JobRun.counted("2"), Path.of("/work/.cryo"));
        InMemoryScheduler.current = job;
        assertEquals(job, BatchJob.detect(Map.of()).orElseThrow());
        assertEquals(InMemoryScheduler.NAME, SchedulerAdapterProvider.detecting(Map.of()).orElseThrow().scheduler());
    }

    @Test
    void providersAreFoundByNameThroughServiceLoaderOnly() throws Exception {
        assertEquals(InMemoryScheduler.NAME, SchedulerAdapterProvider.find("memory").scheduler());
        SchedulerException e = assertThrows(SchedulerException.class, () -> SchedulerAdapterProvider.find("lsf"));
        assertEquals("no adapter for scheduler 'lsf' on the class path (there are: memory)", e.getMessage());
    }
}
