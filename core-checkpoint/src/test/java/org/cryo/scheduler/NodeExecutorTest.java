package org.cryo.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * node.exec: the scheduler's own entry onto a job's node (no runuser before a command it
 * already runs as the job's user), ssh when it has none, a prefix with %n and %j; this host
 * directly.  The prefix case runs a real command through the prefix.
 */
class NodeExecutorTest {
    private static final JobStatus JOB = new JobStatus("42", JobState.RUNNING, "RUNNING", "alice", List.of("n2"),
            Path.of("/tmp"), "", true);
    private static final List<String> ENGINE = List.of("cryo-engine", "checkpoint", "7");
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    private static final NodeExecutor.Entries SRUN_LIKE = (job, node) -> Optional.of(new NodeEntry(
            List.of("runuser", "-u", job.user(), "--", "srun", "--jobid=" + job.jobId(), "--nodelist=" + node, "--"),
            true, Map.of()));

    @Test
    void theSchedulersEntryRunsTheEngineAsItIs() throws Exception {
        NodeExecutor nodes = new NodeExecutor("scheduler", "head", SRUN_LIKE);
        assertEquals(List.of("runuser", "-u", "alice", "--", "srun", "--jobid=42", "--nodelist=n2", "--", "cryo-engine",
                "checkpoint", "7"), nodes.invocation(JOB, "n2", ENGINE, true).command());
        assertEquals(nodes.invocation(JOB, "n2", ENGINE, true), new NodeExecutor("", "head", SRUN_LIKE)
                .invocation(JOB, "n2", ENGINE, true), "scheduler is the default");
    }

    @Test
    void withoutAnEntrySshAndRunuserAsBefore() throws Exception {
        NodeExecutor nodes = new NodeExecutor("scheduler", "head", NodeExecutor.Entries.NONE);
        List<String> asUser = ROOT ? List.of("runuser", "-u", "alice", "--") : List.of();
        List<String> expected = new java.util.ArrayList<>(List.of("ssh", "-o", "BatchMode=yes", "n2"));
        expected.addAll(NodeExecutor.quotedForShell(asUser));
        expected.addAll(NodeExecutor.quotedForShell(ENGINE));
        assertEquals(expected, nodes.invocation(JOB, "n2", ENGINE, true).command());
        assertEquals(expected, new NodeExecutor("ssh", "head", SRUN_LIKE).invocation(JOB, "n2", ENGINE, true).command(),
                "ssh asked for: the entry is not used");
        assertEquals(List.of("ssh", "-o", "BatchMode=yes", "n2", "'sh'", "'-c'", "'echo '\\''a b'\\'''"),
                nodes.commandFor("n2", List.of("sh", "-c", "echo 'a b'")), "words quoted for the node's shell");
    }

    @Test
    void thisHostRunsDirectly() throws Exception {
        NodeExecutor nodes = new NodeExecutor("scheduler", "head.example.org", SRUN_LIKE);
        List<String> command = nodes.invocation(JOB, "head", ENGINE, true).command();
        assertEquals(ENGINE, command.subList(command.size() - 3, command.size()));
        assertTrue(!command.contains("srun") && !command.contains("ssh"), command.toString());
    }

    @Test
    void aPrefixNamesTheNodeAndTheJob() throws Exception {
        NodeExecutor nodes = new NodeExecutor("env CRYO_TEST_NODE=%n CRYO_TEST_JOB=%j", "head");
        NodeExecutor.Result result = nodes.run(JOB, "n2", List.of("sh", "-c", "echo $CRYO_TEST_NODE $CRYO_TEST_JOB"), 30);
        assertEquals(0, result.status(), result.output());
        assertEquals("n2 42", result.output().strip());
        SchedulerException e = assertThrows(SchedulerException.class, () -> nodes.commandFor("n2", List.of("ps")));
        assertTrue(e.getMessage().contains("names the job (%j)"), e.getMessage());
    }
}
