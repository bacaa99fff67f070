package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Unmodified programs doing incremental work: checkpointed mid-way, killed and restarted, they
 * continue from where the checkpoint was taken (not from the start) and the result is right.
 * The expected results were computed by running the programs without Cryo.
 */
class RealProgramsTest {
    private static final String PYTHON_RESULT = "81e4847d7f696c1317da42fd69bfc64de810f5185e93b5c12681b454235ccebc";
    private static final String STATIC_RESULT = "dc317275dcf5e165";
    private static final int STEPS = 40;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void python3Continues() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(python)) {
            python = Path.of("python3");
        }
        Path script = Path.of(RealProgramsTest.class.getResource("/progress.py").toURI());
        Assumptions.assumeTrue(python.isAbsolute() || CheckpointHarness.run(List.of("python3", "-c", "1"),
                Duration.ofSeconds(10)).status() == 0, "no python3");
        Path dir = CheckpointHarness.newWorkDir("python");
        try (var original = CheckpointHarness.Original.startCommand(dir,
                List.of(python.toString(), script.toString()), Map.of())) {
            checkContinues(original, PYTHON_RESULT);
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void staticallyLinkedProgramContinues() throws Exception {
        try (var original = CheckpointHarness.Original.start("static_counter")) {
            checkContinues(original, STATIC_RESULT);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void multiThreadedJvmContinues() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path source = Path.of(RealProgramsTest.class.getResource("/Progress.java").toURI());
        Path dir = CheckpointHarness.newWorkDir("jvm");
        // compiled here: the source launcher would hold a socket open, which Cryo cannot save yet
        int compiled = javax.tools.ToolProvider.getSystemJavaCompiler()
                .run(null, null, null, "-d", dir.toString(), source.toString());
        assertEquals(0, compiled, "javac failed");
        // an unmodified JVM with a pool of 20 threads, plus its own
        try (var original = CheckpointHarness.Original.startCommand(dir,
                List.of(java.toString(), "-XX:+UseSerialGC", "-Xmx256m", "-cp", dir.toString(), "Progress"), Map.of())) {
            checkContinues(original, null);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void pythonMultiprocessingPoolContinues() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "no /usr/bin/python3");
        Path script = Path.of(RealProgramsTest.class.getResource("/multiproc.py").toURI());
        Path dir = CheckpointHarness.newWorkDir("multiprocessing");
        try (var original = CheckpointHarness.Original.startCommand(dir,
                List.of(python.toString(), script.toString()), Map.of())) {
            original.out().await(l -> l.equals("PROGRESS 10"), Duration.ofSeconds(60));
            // the pool's workers, pipes and semaphores: the whole tree, ended once saved
            List<ProcessHandle> tree = ProcessHandle.of(original.pid()).orElseThrow().descendants().toList();
            assertTrue(tree.size() >= 3, "the pool has " + tree.size() + " processes");
            Path file = dir.resolve("pool.cryo");
            Checkpointer.create().checkpoint(original.pid(),
                    CheckpointOptions.builder().file(file).endAction(EndAction.KILL).build());
            original.kill();
            int lastBefore = lastProgress(original.out().lines());
            CheckpointHarness.awaitGone(tree.stream().mapToLong(ProcessHandle::pid).toArray());
            var restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            original.go();
            restored.assertPassed();
            List<Integer> after = progress(restored.out().lines());
            assertTrue(!after.isEmpty() && after.get(0) > 10 && after.get(0) <= lastBefore + 1,
                    "killed at " + lastBefore + ", then " + after);
            assertEquals(STEPS, after.get(after.size() - 1), restored.describe());
        }
    }

    /**
     * GROMACS from Debian on a water box of its own data (176 SPC molecules, reaction field,
     * V-rescale, fixed seeds): two thread-MPI ranks pinned to CPUs 0 and 1 by mdrun, checkpointed
     * with --kill after the step-200 log entry and restarted with cr_restart. Deterministic with
     * -reprod (no dynamic load balancing, no timing-driven choices), fixed -ntmpi/-ntomp and
     * -nb cpu: the log's energies at every step and the averages are the uninterrupted run's to
     * the last digit, and each thread runs pinned to its CPU again.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void gromacsWaterBoxContinues() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(GMX)), "GROMACS is not installed (gromacs; scripts/test-all.sh installs it)");
        Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "mdrun pins its 2 ranks to 2 CPUs");
        Path dir = CheckpointHarness.newWorkDir("gromacs");
        long restoredPid = 0;
        try {
            Path tpr = gromacsInput(dir);
            List<String> reference = gromacsEnergies(runMdrun(tpr, dir.resolve("ref")));
            assertEquals(GMX_STEPS / 50 + 1, reference.stream().filter(l -> l.matches("\\s+\\d+\\s+\\d+\\.\\d{5}")).count(),
                    "a log entry every 50 steps: " + reference);
            Path log = dir.resolve("run.log");
            try (var original = MpiJobsTest.startJob(dir, mdrun(tpr, dir.resolve("run")), Map.of())) {
                awaitLogEntries(log, 5, Duration.ofSeconds(120));
                Map<String, String> pinned = affinity(original.pid());
                assertEquals(List.of("0", "1"), pinned.values().stream().sorted().toList(), "mdrun -pin on: " + pinned);
                Path file = dir.resolve("gromacs.cryo");
                MpiJobsTest.checkpointAndKill(original.pid(), file);
                original.kill();
                int before = logEntries(log);
                assertTrue(before < GMX_STEPS / 50 + 1, "checkpointed at the end: " + before + " entries");
                // stopped once restored, to see its threads before they run (the rest takes a second)
                Path restartOut = dir.resolve("restart.out");
                Process restart = new ProcessBuilder(CheckpointHarness.cryoHome().resolve("bin/cr_restart").toString(),
                        "--detach", "--stop", file.toString()).redirectErrorStream(true).redirectOutput(restartOut.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
                assertTrue(restart.waitFor(60, TimeUnit.SECONDS), "cr_restart did not return");
                assertEquals(0, restart.exitValue(), Files.readString(restartOut));
                restoredPid = original.pid();
                assertEquals(pinned, affinity(restoredPid), "the threads' CPUs after the restart");
                assertEquals(0, CheckpointHarness.run(List.of("kill", "-CONT", String.valueOf(restoredPid)),
                        Duration.ofSeconds(10)).status());
                awaitEnded(restoredPid, Duration.ofSeconds(180));
                restoredPid = 0;
                assertEquals(String.join("\n", reference), String.join("\n", gromacsEnergies(log)),
                        "checkpointed after " + before + " log entries");
            }
        } finally {
            if (restoredPid != 0) {
                ProcessHandle.of(restoredPid).ifPresent(ProcessHandle::destroyForcibly);
            }
            CheckpointHarness.deleteTree(dir);
        }
    }

    private static final String GMX = "/usr/bin/gmx";
    private static final int GMX_STEPS = 800;

    private static Path gromacsInput(Path dir) throws Exception {
        Files.writeString(dir.resolve("water.top"), "#include \"oplsaa.ff/forcefield.itp\"\n#include \"oplsaa.ff/spc.itp\"\n\n"
                + "[ system ]\nwater\n\n[ molecules ]\n");
        Files.writeString(dir.resolve("md.mdp"), String.join("\n", "integrator = md", "dt = 0.002", "nsteps = " + GMX_STEPS,
                "nstlog = 50", "nstenergy = 50", "nstcalcenergy = 50", "cutoff-scheme = Verlet", "coulombtype = reaction-field",
                "rcoulomb = 0.8", "rvdw = 0.8", "tcoupl = v-rescale", "tc-grps = System", "tau_t = 0.1", "ref_t = 300",
                "ld-seed = 1", "gen-vel = yes", "gen-temp = 300", "gen-seed = 1", "constraints = h-bonds", ""));
        gmx(dir, "solvate", "-cs", "spc216.gro", "-box", "1.8", "1.8", "1.8", "-o", dir.resolve("box.gro").toString(),
                "-p", dir.resolve("water.top").toString());
        Path tpr = dir.resolve("md.tpr");
        gmx(dir, "grompp", "-f", dir.resolve("md.mdp").toString(), "-c", dir.resolve("box.gro").toString(),
                "-p", dir.resolve("water.top").toString(), "-o", tpr.toString(), "-po", dir.resolve("mdout.mdp").toString(),
                "-maxwarn", "2");
        return tpr;
    }

    private static void gmx(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(GMX, "-quiet"));
        command.addAll(List.of(args));
        var result = CheckpointHarness.run(command, Duration.ofSeconds(60));
        assertEquals(0, result.status(), result.describe());
    }

    private static List<String> mdrun(Path tpr, Path prefix) {
        return List.of(GMX, "-quiet", "mdrun", "-s", tpr.toString(), "-deffnm", prefix.toString(), "-ntmpi", "2", "-ntomp", "1",
                "-pin", "on", "-reprod", "-nb", "cpu");
    }

    private static Path runMdrun(Path tpr, Path prefix) throws Exception {
        var result = CheckpointHarness.run(mdrun(tpr, prefix), Duration.ofSeconds(120));
        assertEquals(0, result.status(), result.describe());
        return Path.of(prefix + ".log");
    }

    /** The log's step/time lines and energy rows (every entry, then the averages), not its timings. */
    static List<String> gromacsEnergies(Path log) throws Exception {
        return Files.readAllLines(log).stream()
                .filter(l -> l.matches("\\s+\\d+\\s+\\d+\\.\\d{5}") || l.matches("(\\s+-?\\d\\.\\d{5}e[+-]\\d\\d)+")).toList();
    }

    private static int logEntries(Path log) throws Exception {
        return Files.exists(log) ? (int) Files.readAllLines(log).stream().filter(l -> l.contains("Energies (kJ/mol)")).count() : 0;
    }

    private static void awaitLogEntries(Path log, int n, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (logEntries(log) < n) {
            assertTrue(System.nanoTime() < deadline, "mdrun wrote " + logEntries(log) + " log entries in " + timeout);
            Thread.sleep(20);
        }
    }

    /** Each thread's Cpus_allowed_list, by thread id. */
    static Map<String, String> affinity(long pid) throws Exception {
        Map<String, String> cpus = new LinkedHashMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.sorted().toList()) {
                String list = Files.readAllLines(task.resolve("status")).stream().filter(l -> l.startsWith("Cpus_allowed_list:"))
                        .findFirst().orElseThrow().substring(18).trim();
                cpus.put(task.getFileName().toString(), list);
            }
        }
        return cpus;
    }

    /** A detached process is nobody's child here: ended when gone or a zombie. */
    private static void awaitEnded(long pid, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Path stat = Path.of("/proc/" + pid + "/stat");
        while (true) {
            String state;
            try {
                String s = Files.readString(stat);
                state = s.substring(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
            } catch (java.io.IOException gone) {
                return;
            }
            if (state.equals("Z") || state.equals("X")) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "the restored mdrun did not end in " + timeout);
            Thread.sleep(50);
        }
    }

    /** result null: the program's own recomputation (its PASS) is the check. */
    private static void checkContinues(CheckpointHarness.Original original, String result) throws Exception {
        original.out().await(l -> l.equals("PROGRESS 10"), Duration.ofSeconds(30));
        var context = original.checkpoint();
        original.kill();
        int lastBefore = lastProgress(original.out().lines());
        var restored = original.restart(context, RestartOptions.builder().inheritIo(false).build());
        original.go();
        restored.assertPassed();
        List<Integer> after = progress(restored.out().lines());
        assertTrue(!after.isEmpty() && after.get(0) > 10, "progress restarted from the beginning: " + after);
        assertTrue(after.get(0) <= lastBefore + 1, "progress skipped ahead: killed at " + lastBefore + ", then " + after);
        assertEquals(STEPS, after.get(after.size() - 1), restored.describe());
        for (int i = 1; i < after.size(); i++) {
            assertEquals(after.get(i - 1) + 1, after.get(i), "progress not consecutive: " + after);
        }
        if (result != null) {
            assertTrue(restored.out().lines().contains("RESULT " + result), restored.describe());
        }
    }

    static List<Integer> progress(List<String> lines) {
        return lines.stream().filter(l -> l.startsWith("PROGRESS ")).map(l -> Integer.parseInt(l.substring(9))).toList();
    }

    static int lastProgress(List<String> lines) {
        List<Integer> all = progress(lines);
        return all.isEmpty() ? 0 : all.get(all.size() - 1);
    }
}
