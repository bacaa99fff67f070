package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * Real MPI jobs on one node, checkpointed as one tree from their launcher (mpirun, its daemons and
 * helpers, every rank) with --kill mid-run and restarted: the output before the checkpoint and
 * after the restart together are the uninterrupted run's, line for line. The job is
 * native/tests/mpi/mpi_ring.c (a ring and an MPI_Allreduce per step), built with each MPI
 * installed; scripts/test-all.sh installs both.
 */
class MpiJobsTest {
    private static final int RANKS = 4;
    private static final int STEPS = 40;
    /**
     * Open MPI refuses root without the first two; it runs 4 ranks on 2 cores only when allowed to.
     * Its TCP BTL listens on the lowest free port from 1024 up, so any Open MPI job started on the
     * node between the checkpoint and the restart takes the port the restart needs (the singleton
     * failure of issue 16): each run here starts at a port of its own.
     */
    private static final String TCP_PORT_MIN = String.valueOf(20000 + ProcessHandle.current().pid() % 20000);
    private static final Map<String, String> OPEN_MPI_ENV = Map.of("OMPI_ALLOW_RUN_AS_ROOT", "1",
            "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", "OMPI_MCA_rmaps_base_oversubscribe", "1",
            "OMPI_MCA_btl_tcp_port_min_v4", TCP_PORT_MIN, "OMPI_MCA_btl_tcp_port_min_v6", TCP_PORT_MIN);
    /**
     * LAMMPS's bundled LJ melt (3d, 4000 atoms, fixed seed 87287), thermo every 10 steps instead of
     * 50 and flushed (a pipe is block-buffered: the lines would come only at the end).
     */
    private static final Path MELT = Path.of("/usr/share/lammps/examples/melt/in.melt");

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void openMpiJobOfFourRanksContinues() throws Exception {
        Path program = mpiProgram("mpi_ring.openmpi", "/usr/bin/mpirun.openmpi", "Open MPI (openmpi-bin, libopenmpi-dev)");
        checkJobContinues("openmpi", List.of("/usr/bin/mpirun.openmpi", "-np", String.valueOf(RANKS), program.toString()),
                OPEN_MPI_ENV);
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void mpichJobOfFourRanksContinues() throws Exception {
        Path program = mpiProgram("mpi_ring.mpich", "/usr/bin/mpirun.mpich", "MPICH (mpich, libmpich-dev)");
        checkJobContinues("mpich", List.of("/usr/bin/mpirun.mpich", "-np", String.valueOf(RANKS), program.toString()),
                Map.of());
    }

    /**
     * LAMMPS from Debian under mpirun, 2 ranks (deterministic for a given rank count and binary):
     * the thermo table after the restart is the uninterrupted run's, to the last digit.
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void lammpsMeltUnderMpirunContinues() throws Exception {
        Path dir = lammpsInput();
        List<String> job = List.of("/usr/bin/mpirun.openmpi", "-np", "2", "/usr/bin/lmp", "-in", dir.resolve("in.melt").toString(),
                "-log", "none");
        try {
            checkLammpsContinues("lammps", dir, job);
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }

    /**
     * LAMMPS without mpirun: Open MPI's singleton start forks an orted of its own (--hnp), which
     * stays the rank's child: checkpointed as one tree with it, the run continues.
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void lammpsSingletonContinues() throws Exception {
        Path dir = lammpsInput();
        List<String> job = List.of("/usr/bin/lmp", "-in", dir.resolve("in.melt").toString(), "-log", "none");
        try {
            checkLammpsContinues("lammps-singleton", dir, job);
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }

    private static Path lammpsInput() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/lmp")) && Files.isReadable(MELT)
                && Files.isExecutable(Path.of("/usr/bin/mpirun.openmpi")),
                "LAMMPS is not installed (lammps, lammps-examples, openmpi-bin; scripts/test-all.sh installs them)");
        Path dir = CheckpointHarness.newWorkDir("lammps-input");
        String input = Files.readString(MELT).replaceAll("(?m)^thermo\\s.*$", "thermo\t\t10\nthermo_modify\tflush yes");
        Files.writeString(dir.resolve("in.melt"), input);
        return dir;
    }

    private static void checkLammpsContinues(String name, Path inputDir, List<String> job) throws Exception {
        List<String> reference = thermo(uninterrupted(job, OPEN_MPI_ENV, List.of()));
        assertEquals(26, reference.size(), "250 steps, thermo every 10: " + reference);
        Path dir = CheckpointHarness.newWorkDir(name);
        try (var original = startJob(dir, job, OPEN_MPI_ENV)) {
            original.out().await(l -> l.matches("\\s+60\\s.*"), Duration.ofSeconds(120));
            List<ProcessHandle> tree = ProcessHandle.of(original.pid()).orElseThrow().descendants().toList();
            Path file = dir.resolve(name + ".cryo");
            checkpointAndKill(original.pid(), file);
            original.kill();
            CheckpointHarness.awaitGone(tree.stream().mapToLong(ProcessHandle::pid).toArray());
            var restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            int status = awaitExit(restored, Duration.ofSeconds(200));
            List<String> all = new ArrayList<>(original.out().lines());
            all.addAll(restored.out().lines());
            assertEquals(0, status, restored.describe());
            List<String> before = thermo(original.out().lines());
            assertTrue(before.size() >= 7 && before.size() < reference.size(), "checkpointed after " + before);
            assertEquals(String.join("\n", reference), String.join("\n", thermo(all)), restored.describe());
        }
    }

    /** The thermo table's rows (step, temperature, energies, pressure), without the timings around it. */
    static List<String> thermo(List<String> lines) {
        return lines.stream().filter(l -> l.matches("\\s+\\d+(\\s+-?[0-9.e+-]+){5}\\s*")).toList();
    }

    static int awaitExit(CheckpointHarness.Restored restored, Duration timeout) throws Exception {
        if (!restored.helper().waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            restored.helper().destroyForcibly();
            throw new AssertionError("the restored job did not finish in " + timeout + "; " + restored.describe());
        }
        restored.out().awaitEnd(Duration.ofSeconds(10));
        return restored.helper().exitValue();
    }

    static Path mpiProgram(String name, String launcher, String packages) {
        Path program = CheckpointHarness.cryoHome().resolve("native/target/test-programs").resolve(name);
        Assumptions.assumeTrue(Files.isExecutable(Path.of(launcher)) && Files.isExecutable(program),
                packages + " is not installed (scripts/test-all.sh installs it): " + launcher + " or " + program + " missing");
        return program;
    }

    private static void checkJobContinues(String name, List<String> job, Map<String, String> env) throws Exception {
        List<String> reference = uninterrupted(job, env, List.of(String.valueOf(STEPS), "0"));
        assertEquals("RANKS " + RANKS, reference.get(0), String.join("\n", reference));
        assertEquals(STEPS + 2, reference.size(), String.join("\n", reference));
        List<String> command = new ArrayList<>(job);
        command.addAll(List.of(String.valueOf(STEPS), "100"));
        Path dir = CheckpointHarness.newWorkDir("mpi-" + name);
        try (var original = startJob(dir, command, env)) {
            original.out().await(l -> l.equals("STEP 10 " + reference.get(10).substring(8)), Duration.ofSeconds(60));
            List<ProcessHandle> tree = ProcessHandle.of(original.pid()).orElseThrow().descendants().toList();
            assertTrue(tree.size() >= RANKS, "the job has " + tree.size() + " processes below its launcher");
            Path file = dir.resolve(name + ".cryo");
            checkpointAndKill(original.pid(), file);
            original.kill();
            CheckpointHarness.awaitGone(tree.stream().mapToLong(ProcessHandle::pid).toArray());
            var restored = original.restart(file, RestartOptions.builder().inheritIo(false).build());
            int status = awaitExit(restored, Duration.ofSeconds(120));
            List<String> before = original.out().lines().stream().filter(l -> !l.startsWith("READY ")).toList();
            List<String> all = new ArrayList<>(before);
            all.addAll(restored.out().lines());
            assertEquals(0, status, restored.describe());
            assertTrue(before.size() > 10 && before.size() < reference.size(), "checkpointed after " + before.size() + " lines");
            assertEquals(String.join("\n", reference), String.join("\n", all), "killed after " + before.size()
                    + " lines; " + restored.describe());
        }
    }

    /**
     * Checkpoints the tree and kills it. A line a rank wrote to mpirun's pty that mpirun has not
     * read yet is saved and comes back unread (TtysTest), so one attempt is all it takes.
     */
    static void checkpointAndKill(long pid, Path file) throws Exception {
        Checkpointer.create().checkpoint(pid, CheckpointOptions.builder().file(file).endAction(EndAction.KILL).build());
    }

    /** The job run to its end without Cryo, its output lines. */
    static List<String> uninterrupted(List<String> job, Map<String, String> env, List<String> args) throws Exception {
        List<String> command = new ArrayList<>(job);
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        ProgramOutput out = new ProgramOutput(process.getInputStream(), command.get(0));
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish; output " + out);
        }
        out.awaitEnd(Duration.ofSeconds(5));
        assertEquals(0, process.exitValue(), command + ": " + out);
        return out.lines();
    }

    /** The job under the harness's shell, which says the launcher's PID (READY) and execs it. */
    static CheckpointHarness.Original startJob(Path dir, List<String> command, Map<String, String> env) throws Exception {
        List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", "echo READY $$; exec \"$@\"", "sh"));
        wrapped.addAll(command);
        return CheckpointHarness.Original.startCommand(dir, wrapped, env);
    }
}
