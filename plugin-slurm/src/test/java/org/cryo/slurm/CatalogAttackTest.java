package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.cryo.scheduler.JobControl;
import org.cryo.scheduler.CheckpointRecord;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.SchedulerException;
import org.cryo.scheduler.VacateMode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 7: a user cannot turn root's 'cryo slurm' against root through the job's catalog.  An
 * unprivileged user's job ({@code cryotest}, under cr_run) has its catalog in the user's submit
 * directory; the user plants links to a root-owned file outside it (error.tmp, vacating,
 * disabled, lock), the job directory itself as a link, a process record naming root's sleeper,
 * a node name with an escape sequence and a newline.  Every admin verb run as root is refused
 * with one line naming what was planted; the victim file, directory and process stay as they
 * were, and the job runs on untouched.  Once the plants are gone root's checkpoint of the job
 * works, and the context file belongs to the user.
 */
@ResourceLock(TestCluster.LOCK)
class CatalogAttackTest {
    private static final String USER = "cryotest";

    private static Map<String, String> environment;
    private static JobControl slurm;
    private static String headNode;

    @BeforeAll
    static void connect() throws Exception {
        TestCluster.ensureUser(USER);
        environment = TestCluster.environment();
        slurm = JobControl.open("slurm", environment);
        headNode = environment.get("SLURM_NODES").split(" ")[0];
    }

    @Test
    void plantedCatalogFilesAreRefusedAndRootIsUntouched() throws Exception {
        Path dir = TestCluster.userJobDir(USER, "attack");
        TestCluster.checkpointableScript(dir, 400, 0.25);
        String jobId = TestCluster.sbatchAs(USER, dir, "-w", headNode, dir.resolve("job.sh").toString());
        Path victimDir = TestCluster.jobDir("attack-victim");
        Path victim = Files.writeString(victimDir.resolve("victim"), "root's file\n");
        Victim before = Victim.of(victim);
        Process sleeper = new ProcessBuilder("sleep", "600").start();   // root's
        try {
            TestCluster.waitUntil("job " + jobId + " to do 3 steps", 60,
                    () -> TestCluster.stepsDone(dir.resolve("progress.txt")) >= 3);
            Path catalog = slurm.directory(slurm.job(jobId)).path();
            assertEquals(USER, Files.getOwner(catalog).getName(), "cr_run made the catalog as the user");

            for (String name : List.of("error.tmp", "vacating", "disabled", "lock")) {
                Path link = plantLink(catalog.resolve(name), victim);
                assertEveryVerbRefused(jobId, "refusing " + link + ": a symbolic link");
                assertCliRefused(List.of("checkpoint", "create", jobId), "refusing " + link + ": a symbolic link");
                assertEquals(before, Victim.of(victim), "victim after the " + name + " link");
                Files.delete(link);
            }

            Path moved = catalog.resolveSibling(jobId + ".moved");
            Files.move(catalog, moved);
            plantLink(catalog, victimDir);
            assertEveryVerbRefused(jobId, "refusing " + catalog + ": a symbolic link");
            try (var entries = Files.list(victimDir)) {
                assertEquals(List.of(victim), entries.toList(), "nothing written through the linked job directory");
            }
            Files.delete(catalog);
            Files.move(moved, catalog);

            Path process = catalog.resolve("process");
            String record = Files.readString(process);
            writeAsUser(process, record.replaceFirst("(?m)^pid=\\d+", "pid=" + sleeper.pid()));
            String notTheJobs = "process " + sleeper.pid() + " named by the catalog of job " + jobId
                    + " is not one of the job's processes";
            assertCliRefused(List.of("checkpoint", "requeue", jobId), notTheJobs);
            SchedulerException e = assertThrows(SchedulerException.class, () -> slurm.checkpoint(jobId));
            assertTrue(e.getMessage().contains(notTheJobs), e.getMessage());
            assertUntraced(sleeper);

            writeAsUser(process, record.replaceFirst("(?m)^node=.*$", "node=" + headNode + "\\\\u001b[31m\\\\nFAKE LINE"));
            String output = assertCliRefused(List.of("checkpoint", "create", jobId),
                    "ran on " + headNode + "\\x1b[31m\\x0aFAKE LINE, not on the job's nodes");
            assertFalse(output.contains("\u001b"), "no raw escape character: " + output);

            writeAsUser(process, record);
            assertEquals(JobState.RUNNING, slurm.job(jobId).state(), "the job runs on");
            assertEquals(Integer.toString(0), slurm.job(jobId).run(), "not requeued");
            assertTrue(slurm.directory(slurm.job(jobId)).contexts().isEmpty(), "no checkpoint was taken");
            assertTrue(sleeper.isAlive(), "root's sleeper lives");
            assertEquals(before, Victim.of(victim), "victim at the end");

            CheckpointRecord checkpoint = slurm.checkpoint(jobId);
            assertEquals(USER, Files.getOwner(checkpoint.file()).getName(), "root checkpointed the job as its user");
            assertEquals(JobState.RUNNING, slurm.job(jobId).state());
            int steps = TestCluster.stepsDone(dir.resolve("progress.txt"));
            TestCluster.waitUntil("job " + jobId + " to go on working", 20,
                    () -> TestCluster.stepsDone(dir.resolve("progress.txt")) > steps);
        } finally {
            TestCluster.scancel(jobId);
            sleeper.destroyForcibly().waitFor();
        }
    }

    /** Every admin verb, in process (the CLI's one-line form is checked separately). */
    private static void assertEveryVerbRefused(String jobId, String expected) {
        List<Executable> verbs = List.of(() -> slurm.checkpoint(jobId), () -> slurm.vacate(jobId, VacateMode.REQUEUE),
                () -> slurm.vacate(jobId, VacateMode.HOLD), () -> slurm.setCheckpointsEnabled(jobId, false),
                () -> slurm.setCheckpointsEnabled(jobId, true), () -> slurm.lastError(jobId), () -> slurm.restart(jobId));
        for (Executable verb : verbs) {
            SchedulerException e = assertThrows(SchedulerException.class, verb);
            assertEquals("job " + jobId + ": " + expected, e.getMessage());
        }
    }

    /** 'cryo slurm ARGS' as root: exit status 2, one line, containing {@code expected}. */
    private static String assertCliRefused(List<String> args, String expected) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(TestCluster.cryo(), "slurm"));
        command.addAll(args);
        TestCluster.Result result = TestCluster.execute(Path.of("/"), TestCluster.onCluster(command), Map.of(
                "SLURM_REST_URL", environment.get("SLURM_REST_URL"), "SLURM_REST_TOKEN", environment.get("SLURM_REST_TOKEN"),
                "SLURM_REST_USER_NAME", "root", "CRYO_NODE_EXEC", environment.get("CRYO_NODE_EXEC")));
        String output = result.output().strip();
        assertEquals(2, result.status(), args + ": " + output);
        assertEquals(1, output.lines().count(), "one line: " + output);
        assertTrue(output.contains(expected), output);
        System.out.println("refused: cryo slurm " + String.join(" ", args) + " -> " + output);
        return output;
    }

    /** A link made by the user, as the user would plant it. */
    private static Path plantLink(Path link, Path target) throws Exception {
        TestCluster.run(Path.of("/"), List.of("runuser", "-u", USER, "--", "ln", "-s", target.toString(), link.toString()));
        assertTrue(Files.isSymbolicLink(link));
        return link;
    }

    /** Rewrites a catalog file as the user would (the user owns the catalog). */
    private static void writeAsUser(Path file, String text) throws Exception {
        Path temp = Files.writeString(file.resolveSibling("planted"), text);
        Files.setOwner(temp, Files.getOwner(file.getParent()));
        Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Neither stopped nor traced: nobody ptraced or signalled it. */
    private static void assertUntraced(Process process) throws Exception {
        List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"));
        assertTrue(status.contains("TracerPid:\t0"), status.toString());
        assertTrue(status.stream().anyMatch(l -> l.startsWith("State:\tS")), status.toString());
    }

    /** What an attack could change in a file: content, owner, mode, time. */
    private record Victim(String content, String owner, String mode, FileTime modified) {
        static Victim of(Path file) throws Exception {
            return new Victim(Files.readString(file), Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName(),
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), Files.getLastModifiedTime(file));
        }
    }
}
