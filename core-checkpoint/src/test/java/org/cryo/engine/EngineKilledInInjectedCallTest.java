package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A SIGKILL to the engine inside one of its injected calls harms no thread (issue 8).  The engine
 * kills itself (CRYO_FAULT_KILL_ENGINE=N:STAGE, fault injection as CRIU's CRIU_FAULT) at each
 * moment of a call a real SIGKILL can land in: registers set, at the syscall-entry stop, at the
 * exit stop, the mask put back but not the registers.  The thread is then let go by the kernel with
 * the injected registers; it must finish the call, return through the signal frame the engine wrote
 * below its stack, and carry on exactly where it was: same threads, blocked masks and mappings,
 * untraced, and at the go the program checks its own state and passes.
 *
 * <p>cpu_state holds x87, SSE, AVX, AVX-512 and general registers across its nanosleep (a call the
 * kernel resumes through restart_syscall); threads has eight threads, each in a different wait with
 * its own mask, alternate stack and rseq area, so calls of the leader and of other threads are hit.
 */
class EngineKilledInInjectedCallTest {
    static final List<String> STAGES = List.of("set", "entry", "exit", "mask");

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void registersSurviveAKillAtEveryStageOfACall() throws Exception {
        // a checkpoint of cpu_state makes 20 to 29 injected calls
        killInCalls("cpu_state", List.of(1, 8, 20), STAGES);
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void everyThreadSurvivesAKillInItsCalls() throws Exception {
        // 50 to 59 calls: the leader's first, the other threads' after
        killInCalls("threads", List.of(2, 30, 50), List.of("entry", "exit"));
    }

    private static void killInCalls(String program, List<Integer> calls, List<String> stages) throws Exception {
        try (var original = CheckpointHarness.Original.start(program)) {
            var job = InterruptedCheckpointTest.JobState.of(original.pid());
            Path file = original.dir().resolve("job.cryo");
            for (int call : calls) {
                for (String stage : stages) {
                    String where = program + ", engine killed at call " + call + " (" + stage + "): ";
                    String said = checkpointKilledAt(original.pid(), file, call + ":" + stage);
                    assertTrue(said.contains("killed by signal 9"), where + "the engine did not die there: " + said);
                    job.assertUnchanged(where);
                }
            }
            original.goAndAssertPassed();
        }
    }

    /** cryo-engine checkpoint with the fault set; what it printed. */
    private static String checkpointKilledAt(long pid, Path file, String fault) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(CheckpointHarness.cryoHome().resolve("native/target/bin/cryo-engine").toString(),
                "checkpoint", "-f", file.toString(), Long.toString(pid)).redirectErrorStream(true);
        builder.environment().put("CRYO_FAULT_KILL_ENGINE", fault);
        Process engine = builder.start();
        engine.getOutputStream().close();
        byte[] out = engine.getInputStream().readAllBytes();
        assertTrue(engine.waitFor(60, TimeUnit.SECONDS), "the engine did not end");
        return new String(out, StandardCharsets.UTF_8).trim();
    }
}
