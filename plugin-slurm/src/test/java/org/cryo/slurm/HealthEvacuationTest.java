package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.cryo.health.Decision;
import org.cryo.health.HealthPolicy;
import org.cryo.health.Journal;
import org.cryo.health.NodeActions;
import org.cryo.health.NodeAgent;
import org.cryo.health.NodeHealth;
import org.cryo.health.Notices;
import org.cryo.health.SysfsFixture;
import org.cryo.health.monitor.SysfsTree;
import org.cryo.scheduler.JobControl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Issue 11 on the real two-node cluster: a node agent per node (in this JVM, each reading its
 * node's fixture sysfs tree, acting through the Slurm adapter) moves a checkpointable job with a
 * known result off a node whose precursors pass the policy: ECC corrected errors on the head node
 * (after noise below the policy, a counter reset, a dry run and a warn, none of which moves it), a
 * temperature climbing towards crit on node2, InfiniBand symbol errors on the head node again:
 * one job, three evacuations, each step of its work done once.  And a node that dies without
 * warning: node2's slurmd and processes killed, the job resumes on the head node from its latest
 * periodic context.  It runs on both test clusters (22.05: {@code vm} and {@code node2}; 24.11:
 * {@code tnode1} and {@code tnode2}): every Slurm client through {@link TestCluster#onCluster},
 * the second node found, killed and started again through the cluster's own CRYO_NODE_EXEC and
 * up script.
 */
// Alone, not beside TimeLimitTest's long job: it drains both nodes and kills every process of node2.
@Isolated
class HealthEvacuationTest {
    /**
     * The work: short, and held at its gate (it waits before its next step) except where the test
     * waits for it to make progress, so it outlasts the three evacuations on a loaded machine
     * without minutes of steps left to run at the end.
     */
    private static final int STEPS = 100;
    private static final int FAIL_STEPS = 60;
    private final List<NodeAgent> agents = new ArrayList<>();
    private final List<String> jobs = new ArrayList<>();
    /** Set once the test has killed the second node: its slurmd is started again after the test, pass or fail. */
    private Path killedNodeLog;

    private static String head() {
        return TestCluster.environment().get("SLURM_NODES").split(" ")[0];
    }

    private static String node2() {
        return TestCluster.environment().get("SLURM_NODES").split(" ")[1];
    }

    @AfterEach
    void stopAgentsAndCleanUp() throws Exception {
        agents.forEach(NodeAgent::close);
        jobs.forEach(TestCluster::scancel);
        if (killedNodeLog != null) {
            restartNode2(killedNodeLog);
        }
        for (String node : List.of(head(), node2())) {
            resume(node);
        }
    }

    private NodeAgent agent(String node, Path root, boolean dryRun) throws Exception {
        NodeHealth health = new NodeHealth(HealthPolicy.with(Map.of("monitors", "edac, hwmon, infiniband",
                "checkpoint.time", "5s", "scheduler.requeue_time", "10s", "temperature.trend_window", "1m",
                "dry_run", Boolean.toString(dryRun)), "test"), new SysfsTree(root, new Notices(System.out)));
        JobControl slurm = JobControl.open("slurm", TestCluster.environment());
        NodeAgent agent = new NodeAgent(health, new NodeActions(slurm, node, "test agent on " + node, dryRun),
                Journal.in(root.resolveSibling(root.getFileName() + "-journal")));
        agents.add(agent);
        return agent.start(Duration.ofSeconds(1));
    }

    @Test
    void eccTemperatureAndInfinibandPrecursorsMoveTheJobOffEachNodeInTurn() throws Exception {
        Path dir = TestCluster.jobDir("health");
        SysfsFixture headTree = new SysfsFixture(Files.createDirectories(dir.resolve("sys-" + head())))
                .edacDimm(0, 0, 120, 0).ibPort("mlx5_0", 1).hwmonTemp(0, 1, 45, 85, 95);
        SysfsFixture node2Tree = new SysfsFixture(Files.createDirectories(dir.resolve("sys-" + node2())))
                .edacDimm(0, 0, 0, 0).hwmonTemp(0, 1, 60, 90, 95);
        SysfsFixture dryTree = new SysfsFixture(Files.createDirectories(dir.resolve("sys-dry"))).edacDimm(0, 0, 0, 0);
        String jobId = submitOn(head(), dir, TestCluster.checkpointableScript(dir, STEPS, 0.1));
        Path progress = dir.resolve("progress.txt");
        TestCluster.waitUntil("job " + jobId + " to run on " + head(), 60, () -> TestCluster.stepsDone(progress) > 0);
        TestCluster.holdWork(dir);

        NodeAgent dry = agent(head(), dryTree.root(), true);
        NodeAgent onHead = agent(head(), headTree.root(), false);
        // noise under the policy, then a counter reset: nothing happens
        for (int i = 1; i <= 5; i++) {
            headTree.edacDimm(0, 0, 120 + 3 * i, 0);
            awaitPolls(onHead, 2);
        }
        headTree.edacDimm(0, 0, 4, 0);
        awaitPolls(onHead, 3);
        assertEquals(List.of(), onHead.journal().recent(), "noise and a reset decide nothing");
        assertTrue(!drained(head()), "not drained");
        // a dry run at evacuate changes nothing
        dryTree.edacDimm(0, 0, 900, 0);
        Decision wouldMove = awaitDecision(dry, 1);
        assertTrue(wouldMove.outcome().startsWith("dry-run: would drain the node and checkpoint"), wouldMove.toString());
        assertTrue(!drained(head()), "a dry run drains nothing");
        assertTrue(TestCluster.lines(dir.resolve("job.out")).stream().noneMatch(l -> l.contains("restarting")));
        dry.close();
        // warn: drained, the job runs on where it is
        headTree.edacDimm(0, 0, 34, 0);
        Decision warn = awaitDecision(onHead, 1);
        assertEquals("drain", warn.action(), warn.toString());
        assertTrue(drained(head()));
        assertTrue(reason(head()).contains("ECC corrected"), reason(head()));
        int steps = TestCluster.stepsDone(progress);
        TestCluster.releaseWork(dir);
        TestCluster.waitUntil("job " + jobId + " to run on while drained", 30, () -> TestCluster.stepsDone(progress) > steps + 2);
        TestCluster.holdWork(dir);
        assertEquals(head(), TestCluster.slurmRecord(jobId, "NodeList"));
        // evacuate on ECC: checkpointed, requeued, restarted on node2
        NodeAgent onNode2 = agent(node2(), node2Tree.root(), false);
        headTree.edacDimm(0, 0, 400, 0);
        long eccAt = System.currentTimeMillis();
        Decision ecc = awaitEvacuation(onHead);
        report("ECC", jobId, ecc, eccAt, node2(), progress);
        assertTrue(reason(head()).startsWith("cryo health evacuate: ECC corrected: edac mc0"), reason(head()));

        // a temperature climbing 1 °C/s towards crit 95 °C on node2: moved back to the head node
        resume(head());
        assertEquals(head(), TestCluster.slurmRecord(jobId, "ExcNodeList"), "a drain lifted early does not bring it back");
        onHead.close();
        long[] writtenAt = new long[60];
        for (int second = 0; second < 60; second++) {
            if (onNode2.journal().recent().stream().anyMatch(d -> d.action().equals("evacuate"))) {
                break;
            }
            node2Tree.hwmonTemp(0, 1, 60 + second, 90, 95);
            writtenAt[second] = System.currentTimeMillis();
            Thread.sleep(1000);
        }
        Decision temperature = awaitEvacuation(onNode2);
        assertEquals("drain", onNode2.journal().recent().get(0).action(), "warn came first, as the climb began: "
                + onNode2.journal().recent());
        assertTrue(temperature.reason().contains("temperature: hwmon hwmon0 (coretemp) temp1:")
                && temperature.reason().contains("rising"), temperature.reason());
        java.util.regex.Matcher degrees = java.util.regex.Pattern.compile("temp1: (\\d+)\\.0 °C").matcher(temperature.reason());
        assertTrue(degrees.find(), temperature.reason());
        int evacuatedAt = Integer.parseInt(degrees.group(1));
        assertTrue(evacuatedAt < 95 - 3, "moved on the trend, before the sensor came within 3 °C of crit: " + evacuatedAt);
        report("temperature trend (evacuated at " + evacuatedAt + " °C, crit 95 °C, +1 °C/s)", jobId, temperature,
                writtenAt[evacuatedAt - 60], head(), progress);

        // InfiniBand symbol errors on the head node: moved to node2 again
        resume(node2());
        onNode2.close();
        NodeAgent onHeadAgain = agent(head(), headTree.root(), false);
        awaitPolls(onHeadAgain, 2);
        headTree.ibCounter("mlx5_0", 1, "symbol_error", 250);
        long ibAt = System.currentTimeMillis();
        Decision ib = awaitEvacuation(onHeadAgain);
        assertTrue(ib.reason().startsWith("cryo health evacuate: IB errors: ib mlx5_0 port 1 symbol_error: 250 errors"),
                ib.reason());
        report("IB symbol errors", jobId, ib, ibAt, node2(), progress);

        TestCluster.releaseWork(dir);
        TestCluster.assertFinishedCorrectlyOnce(dir, jobId, STEPS, 120);
        List<String> runs = TestCluster.lines(dir.resolve("job.out")).stream().filter(l -> l.startsWith("run ")).toList();
        assertEquals(List.of("run 0 on " + head(), "run 1 on " + node2(), "run 2 on " + head(), "run 3 on " + node2()), runs);
    }

    @Test
    void aNodeThatDiesWithoutWarningHasItsJobResumeElsewhereFromItsLatestPeriodicCheckpoint() throws Exception {
        Path dir = TestCluster.jobDir("health-fail");
        String jobId = submitOn(node2(), dir, TestCluster.checkpointableScript(dir, FAIL_STEPS, 0.1,
                "--checkpoint-interval=3s"));
        Path progress = dir.resolve("progress.txt");
        TestCluster.waitUntil("job " + jobId + " to run on " + node2(), 60, () -> TestCluster.stepsDone(progress) > 0);
        // held at its gate from here on until it runs elsewhere: it cannot finish before the node dies
        TestCluster.holdWork(dir);
        TestCluster.waitUntil("two periodic checkpoints", 60, () -> TestCluster.lines(dir.resolve("job.out")).stream()
                .filter(l -> l.contains("periodic checkpoint of pid")).count() >= 2);
        int before = TestCluster.stepsDone(progress);
        long killedAt = System.currentTimeMillis();
        killedNodeLog = dir.resolve("restart-" + node2() + ".log");
        int killed = killNode2();
        // slurmctld would mark it DOWN after SlurmdTimeout (300 s by default); the test does it now
        TestCluster.scontrol("update", "NodeName=" + node2(), "State=DOWN", "Reason=cryo test: node died");
        TestCluster.waitUntil("job " + jobId + " to run on " + head(), 120, () -> {
            try {
                return TestCluster.slurmRecord(jobId, "JobState").equals("RUNNING")
                        && TestCluster.slurmRecord(jobId, "NodeList").equals(head());
            } catch (Exception | AssertionError e) {
                return false;
            }
        });
        long runningAt = System.currentTimeMillis();
        TestCluster.releaseWork(dir);
        TestCluster.waitUntil("job " + jobId + " to finish", 120, () -> TestCluster.done(progress));
        List<String> lines = TestCluster.lines(progress);
        assertEquals(1, lines.stream().filter(l -> l.startsWith("START ")).count(), "resumed, not rerun: " + lines);
        Set<Integer> seen = new TreeSet<>();
        lines.stream().filter(l -> l.startsWith("STEP ")).forEach(l -> seen.add(Integer.parseInt(l.split(" ")[1])));
        assertEquals(FAIL_STEPS, seen.size(), "every step done");
        assertTrue(lines.contains("RESULT " + TestCluster.expectedResult(FAIL_STEPS)), lines.toString());
        List<String> out = TestCluster.lines(dir.resolve("job.out"));
        assertTrue(out.stream().anyMatch(l -> l.contains("restarting from")), out.toString());
        long redone = lines.stream().filter(l -> l.startsWith("STEP ")).count() - FAIL_STEPS;
        System.out.printf("TIMING health node failure: %d processes of %s killed at step %d; job running on %s %d ms later"
                + " (after the DOWN); %d steps redone (done since the latest periodic checkpoint, every 3 s)%n",
                killed, node2(), before, head(), runningAt - killedAt, redone);
    }

    @Test
    void theHealthCheckProgramModeDrainsTheNodeWithAReasonNamingThePrecursor() throws Exception {
        Path dir = TestCluster.jobDir("health-check");
        SysfsFixture tree = new SysfsFixture(Files.createDirectories(dir.resolve("sys"))).edacDimm(0, 0, 5, 0);
        Path env = Files.writeString(dir.resolve("cryo-agent.env"), "");
        List<String> check = List.of(HOME_SCRIPT.toString(), "--root", tree.root().toString(), "--state",
                dir.resolve("state/state.json").toString(), "--node", node2());
        Map<String, String> environment = new java.util.HashMap<>(TestCluster.environment());
        environment.put("CRYO_AGENT_ENV", env.toString());
        String first = TestCluster.run(dir, check, environment, 0);
        assertEquals("ok", first.lines().filter(l -> !l.startsWith("cryo health: ")).findFirst().orElse(""), first);
        assertTrue(!drained(node2()));
        tree.edacDimm(0, 0, 40, 0);   // 35 more since the last run (its history kept in --state): warn
        String second = TestCluster.run(dir, check, environment, 0);
        assertTrue(second.contains("drain: done"), second);
        assertTrue(drained(node2()));
        assertTrue(reason(node2()).startsWith("cryo health warn: ECC corrected: edac mc0/dimm0"), reason(node2()));
    }

    private static final Path HOME_SCRIPT = TestCluster.HOME.resolve("scripts/health/cryo-health-check");

    /**
     * Detection (the precursor written) -> drained -> checkpointed -> requeued -> running elsewhere;
     * the job's ExcNodeList names the node it left, and no longer the one it left before (resumed since).
     */
    private static void report(String path, String jobId, Decision decision, long writtenAt, String target, Path progress)
            throws Exception {
        assertEquals("evacuate", decision.action(), decision.toString());
        assertEquals("done", decision.outcome(), decision.toString());
        Decision.JobOutcome moved = decision.jobs().stream().filter(j -> j.jobId().equals(jobId)).findFirst().orElseThrow();
        assertEquals("moved", moved.outcome(), decision.toString());
        int steps = TestCluster.stepsDone(progress);
        Path dir = progress.getParent();
        TestCluster.releaseWork(dir);
        TestCluster.waitUntil("job " + jobId + " to run on " + target, 120, () -> {
            try {
                return TestCluster.slurmRecord(jobId, "NodeList").equals(target) && TestCluster.stepsDone(progress) > steps;
            } catch (Exception | AssertionError e) {
                return false;
            }
        });
        long running = System.currentTimeMillis();
        TestCluster.holdWork(dir);
        String left = target.equals(head()) ? node2() : head();
        assertEquals(left, TestCluster.slurmRecord(jobId, "ExcNodeList"), "kept off the node at risk, and only that one");
        System.out.printf("TIMING health %s: detected %d ms after the write (poll 1 s), drained +%d ms, checkpoint %d ms,"
                + " requeued +%d ms after detection, running on %s (a new step done) +%d ms after detection%n",
                path, decision.at() - writtenAt, decision.drainedMillis(), moved.checkpointMillis(), moved.requeuedMillis(),
                target, running - decision.at());
    }

    /** sbatch while the other node is drained, so it starts on {@code node} (no -w: its requeue may go anywhere). */
    private String submitOn(String node, Path dir, Path script) throws Exception {
        String other = node.equals(head()) ? node2() : head();
        TestCluster.scontrol("update", "NodeName=" + other, "State=DRAIN", "Reason=cryo test: placing");
        String jobId = TestCluster.sbatch(dir, script.toString());
        jobs.add(jobId);
        try {
            TestCluster.waitUntil("job " + jobId + " to start", 60, () -> {
                try {
                    return TestCluster.slurmRecord(jobId, "JobState").equals("RUNNING");
                } catch (Exception | AssertionError e) {
                    return false;
                }
            });
        } finally {
            resume(other);
        }
        return jobId;
    }

    private static void awaitPolls(NodeAgent agent, int polls) throws InterruptedException {
        long target = agent.polls() + polls;
        TestCluster.waitUntil(polls + " polls", 30, () -> agent.polls() >= target);
    }

    private static Decision awaitDecision(NodeAgent agent, int count) throws InterruptedException {
        TestCluster.waitUntil("decision " + count + " of the agent", 120, () -> agent.journal().recent().size() >= count
                && !agent.journal().recent().get(count - 1).failed());
        return agent.journal().recent().get(count - 1);
    }

    private static Decision awaitEvacuation(NodeAgent agent) throws InterruptedException {
        TestCluster.waitUntil("an evacuation by the agent", 120, () -> agent.journal().recent().stream()
                .anyMatch(d -> d.action().equals("evacuate") && !d.failed()));
        return agent.journal().recent().stream().filter(d -> d.action().equals("evacuate") && !d.failed()).findFirst()
                .orElseThrow();
    }

    private static boolean drained(String node) throws Exception {
        return state(node).contains("drain");
    }

    private static String reason(String node) throws Exception {
        return TestCluster.run(Path.of("/"), TestCluster.onCluster(List.of("sinfo", "-h", "-n", node, "-o", "%E"))).strip();
    }

    /** The node's state as sinfo prints it ("idle", "drained", "down*" ...). */
    private static String state(String node) throws Exception {
        return TestCluster.run(Path.of("/"), TestCluster.onCluster(List.of("sinfo", "-h", "-n", node, "-o", "%T"))).strip();
    }

    private static void resume(String node) {
        try {
            String state = state(node);
            if (state.contains("drain") || state.contains("down")) {
                TestCluster.scontrol("update", "NodeName=" + node, "State=RESUME");
            }
        } catch (Exception | AssertionError ignored) {
            // best effort
        }
    }

    /**
     * SIGKILL every process in the second node's UTS namespace (its slurmd, slurmstepd and the
     * job): the node died.  The namespace is the one the cluster's CRYO_NODE_EXEC enters for the
     * node; never this JVM's own (the 22.05 head node is this host).
     */
    private static int killNode2() throws Exception {
        String uts = TestCluster.run(Path.of("/"), TestCluster.onNode(node2(), List.of("readlink", "/proc/self/ns/uts"))).strip();
        assertTrue(uts.matches("uts:\\[\\d+\\]"), "the UTS namespace of " + node2() + ": " + uts);
        assertTrue(!uts.equals(Files.readSymbolicLink(Path.of("/proc/self/ns/uts")).toString()),
                node2() + " is in this host's UTS namespace: not killing it");
        int killed = 0;
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (Files.readSymbolicLink(proc.resolve("ns/uts")).toString().equals(uts)) {
                        new ProcessBuilder("kill", "-KILL", proc.getFileName().toString()).start().waitFor();
                        killed++;
                    }
                } catch (java.io.IOException gone) {
                    // exited meanwhile
                }
            }
        }
        assertTrue(killed > 0, "no process in " + node2() + "'s UTS namespace " + uts);
        return killed;
    }

    /** The second node's slurmd started again (the cluster's up script starts what is not running), and the node resumed. */
    private static void restartNode2(Path log) throws Exception {
        TestCluster.startWhatIsDown(log);
        TestCluster.waitUntil(node2() + "'s slurmd", 60, () -> {
            try {
                resume(node2());
                return state(node2()).matches("(idle|mixed|allocated).*");
            } catch (Exception | AssertionError e) {
                return false;
            }
        });
    }
}
