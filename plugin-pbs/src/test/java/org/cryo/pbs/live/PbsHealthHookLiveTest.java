package org.cryo.pbs.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cryo.health.SysfsFixture;
import org.cryo.pbs.live.PbsLive.JobState;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 11 on a real OpenPBS with two MoMs sharing the job directory, as a site sets it up:
 * <ul>
 * <li>the MoM periodic hook ({@code cryo pbs install-hook --apply}): every MoM runs {@code cryo
 * health --act} for its vnode (each its own fixture sysfs tree, {@code {node}} in the settings);
 * ECC corrected errors written into this host's tree make its hook offline its node with the
 * precursor as comment and migrate the checkpointable job there, which PBS reruns on the other
 * node, where cr_run restarts it from the context: it finishes with the known result, each step once;</li>
 * <li>the fail level: a node that dies without warning (the other MoM killed with the job's
 * processes) is seen down by the server, which requeues its rerunnable jobs after
 * {@code node_fail_requeue} seconds; the job, checkpointed every 3 s by its cr_run
 * ({@code --checkpoint-interval}), runs again on this node from its latest context.  The work was
 * held at its gate since before that checkpoint, so no step is lost or redone: each step once.</li>
 * </ul>
 */
@ResourceLock(PbsLive.LOCK)
class PbsHealthHookLiveTest {
    private static final int STEPS = 12;
    /** What the test sets for the node-death case: PBS's default (310 s) is the site's to lower. */
    private static final int NODE_FAIL_REQUEUE = 10;

    @TempDir
    Path work;

    @BeforeAll
    static void needsTwoNodes() {
        PbsLive.assumeTwoNodesWithMomActions();
    }

    private static String other() {
        return PbsLive.nodes().stream().filter(n -> !n.equals(PbsLive.here())).findFirst().orElseThrow();
    }

    @Test
    void theMomPeriodicHookOfflinesItsNodeOnEccErrorsAndMovesItsJobToTheOtherNode() throws Exception {
        Path dir = PbsLive.jobDir("hook", PbsLive.USER);
        String here = PbsLive.here();
        Path trees = Files.createDirectories(work.resolve("sys"));
        SysfsFixture tree = new SysfsFixture(trees.resolve(here)).edacDimm(0, 0, 0, 0);
        new SysfsFixture(trees.resolve(other())).edacDimm(0, 0, 0, 0);
        Path state = work.resolve("state");
        Path policy = Files.writeString(work.resolve("health.conf"), "monitors = edac\ncheckpoint.time = 5s\n");
        String jobId = null;
        try {
            jobId = PbsLive.startGatedJobOn(here, dir, STEPS, "", "-c", "s", "-r", "y", "-l", "select=1:ncpus=1");
            String install = PbsLive.cryo("pbs", "install-hook", "--apply", "--config", policy.toString(), "--root",
                    trees.resolve("{node}").toString(), "--state", state.resolve("{node}.json").toString(), "--settings",
                    work.resolve("cryo_health.json").toString(), "--freq", "2");
            assertTrue(install.contains("qmgr -c 'set hook cryo_health event = exechost_periodic': done"), install);
            String hook = PbsLive.run(Path.of("/"), List.of(PbsLive.bin("qmgr").toString(), "-c", "list hook cryo_health"), 60);
            assertTrue(hook.contains("freq = 2") && hook.contains("alarm = 100"), "freq as given, alarm from the policy"
                    + " (checkpoint.time 5 s x 2 + requeue_time 30 s + 60 s): " + hook);
            PbsLive.waitUntil("the hook's first check on " + here + " (its state file)", 120,
                    () -> Files.exists(state.resolve(here + ".json")));
            PbsLive.waitUntil("the hook's first check on " + other(), 120, () -> Files.exists(state.resolve(other() + ".json")));
            long seenHealthy = System.currentTimeMillis();
            tree.edacDimm(0, 0, 400, 0);
            long written = System.currentTimeMillis();
            PbsLive.waitUntil(here + " offline by the hook", 120,
                    () -> PbsLive.nodeAttributes(here).path("state").asText().contains("offline"));
            long offline = System.currentTimeMillis();
            String comment = PbsLive.nodeAttributes(here).path("comment").asText();
            assertTrue(comment.startsWith("cryo health evacuate: ECC corrected: edac mc0"), comment);
            String id = jobId;
            JobState elsewhere = PbsLive.awaitState(jobId, "R on another node", 180,
                    s -> s.state().equals("R") && !s.execHost().isEmpty() && !s.execHost().startsWith(here + "/"));
            long running = System.currentTimeMillis();
            PbsLive.waitUntil("the hook's report in " + here + "'s MoM log", 60,
                    () -> momLog(PbsLive.pbsHome()).stream().anyMatch(l -> l.contains("cryo_health:   job " + id + ": moved")));
            List<String> report = momLog(PbsLive.pbsHome()).stream().filter(l -> l.contains("cryo_health: ")).toList();
            assertTrue(report.stream().anyMatch(l -> l.endsWith("cryo_health: evacuate: done")), report.toString());
            PbsLive.figure(String.format("hook evacuate (ECC) on %s, freq 2 s: written +%d ms after a healthy check,"
                    + " offline +%d ms after the write, R on %s +%d ms after the write", here, written - seenHealthy,
                    offline - written, elsewhere.execHost(), running - written));
            PbsLive.openGate(dir);
            List<String> progress = PbsLive.assertFinishedCorrectlyOnce(dir, id, STEPS);
            assertEquals(1, progress.stream().filter(l -> l.startsWith("START ")).count(), "restarted, not rerun from the top");
            assertFalse(PbsLive.nodeAttributes(other()).path("state").asText().contains("offline"),
                    "the other node's hook found it healthy");
        } finally {
            PbsLive.execute(Path.of("/"), List.of(PbsLive.bin("qmgr").toString(), "-c", "delete hook cryo_health"), 60);
            PbsLive.openGate(dir);
            PbsLive.cleanUp(jobId);
            PbsLive.execute(Path.of("/"), List.of(PbsLive.bin("pbsnodes").toString(), "-r", here), 60);
            PbsLive.execute(Path.of("/"), List.of(PbsLive.bin("qmgr").toString(), "-c", "unset node " + here + " comment"), 60);
        }
    }

    @Test
    void aNodeThatDiesWithoutWarningHasItsJobRequeuedAndRestartedFromItsLatestPeriodicContext() throws Exception {
        Path dir = PbsLive.jobDir("nodefail", PbsLive.USER);
        String here = PbsLive.here();
        String dying = other();
        Mom mom = Mom.of(dying);
        Assumptions.assumeTrue(mom != null, "the MoM of " + dying + " runs on another host: it cannot be killed from here");
        String before = serverAttribute("node_fail_requeue");
        String jobId = null;
        try {
            PbsLive.run(Path.of("/"), List.of(PbsLive.bin("qmgr").toString(), "-c", "set server node_fail_requeue = "
                    + NODE_FAIL_REQUEUE), 60);
            jobId = PbsLive.startGatedJobOn(dying, dir, STEPS, "--checkpoint-interval=3s", "-r", "y", "-l", "select=1:ncpus=1");
            String id = jobId;
            int stepsBefore = PbsLive.stepsDone(dir);
            int contextsAtGate = PbsLive.contexts(dir, id).size();
            // a periodic checkpoint taken while the work waits at its gate: the state the node's death must not lose
            PbsLive.waitUntil("a periodic context of job " + id + " taken at its gate", 60,
                    () -> PbsLive.contexts(dir, id).size() >= contextsAtGate + 2);
            String session = PbsLive.stateOf(jobId).orElseThrow().session();
            long killed = mom.killWith(session);
            PbsLive.waitUntil(dying + " seen down by the server", 120,
                    () -> PbsLive.nodeAttributes(dying).path("state").asText().contains("down"));
            long down = System.currentTimeMillis();
            JobState requeued = PbsLive.awaitState(jobId, "requeued (Q, or R elsewhere)", 120 + NODE_FAIL_REQUEUE,
                    s -> s.state().equals("Q") || s.state().equals("R") && s.execHost().startsWith(here + "/"));
            long requeuedAt = System.currentTimeMillis();
            JobState running = PbsLive.awaitState(jobId, "R on " + here, 120,
                    s -> s.state().equals("R") && s.execHost().startsWith(here + "/"));
            long runningAt = System.currentTimeMillis();
            PbsLive.waitUntil("the job script's second run", 120, () -> runs(dir) >= 2);
            PbsLive.openGate(dir);
            PbsLive.waitUntil("a step done on " + here, 120, () -> PbsLive.stepsDone(dir) > stepsBefore);
            long stepAt = System.currentTimeMillis();
            PbsLive.figure(String.format("node death (%s's MoM and the job killed), node_fail_requeue %d: down +%d ms after"
                    + " the kill, requeued (%s) +%d ms, R on %s +%d ms, a new step +%d ms (periodic checkpoints every 3 s)",
                    dying, NODE_FAIL_REQUEUE, down - killed, requeued.state(), requeuedAt - killed, here, runningAt - killed,
                    stepAt - killed));
            List<String> progress = PbsLive.assertFinishedCorrectlyOnce(dir, id, STEPS);
            assertEquals(1, progress.stream().filter(l -> l.startsWith("START ")).count(),
                    "restarted from its periodic context, not rerun from the top: " + progress);
            assertTrue(running.execHost().startsWith(here + "/"), running.toString());
        } finally {
            PbsLive.openGate(dir);
            PbsLive.cleanUp(jobId);
            PbsLive.execute(Path.of("/"), List.of(PbsLive.bin("qmgr").toString(), "-c", before.isEmpty()
                    ? "unset server node_fail_requeue" : "set server node_fail_requeue = " + before), 60);
            mom.restart();
        }
    }

    /** The lines of this day's MoM log under {@code home}. */
    private static List<String> momLog(Path home) {
        return PbsLive.lines(home.resolve("mom_logs").resolve(LocalDate.now().format(DateTimeFormatter.BASIC_ISO_DATE)));
    }

    private static long runs(Path dir) {
        return PbsLive.lines(dir.resolve("runs.log")).stream().filter(l -> l.startsWith("run ")).count();
    }

    /** An attribute of the server, as {@code qmgr -c 'list server'} prints it ("" when unset). */
    private static String serverAttribute(String name) {
        for (String line : PbsLive.run(Path.of("/"), List.of(PbsLive.bin("qmgr").toString(), "-c", "list server"), 60)
                .split("\n")) {
            String[] kv = line.strip().split("\\s*=\\s*", 2);
            if (kv.length == 2 && kv[0].equals(name)) {
                return kv[1].strip();
            }
        }
        return "";
    }

    /**
     * A MoM on this host serving {@code node} (its own UTS namespace and PBS_CONF_FILE, as LIVE.md
     * starts the second one): found by its pbs_mom process, killed without warning, started again
     * the same way.
     */
    private record Mom(long pid, String hostName, Map<String, String> environment, String node) {
        static Mom of(String node) throws Exception {
            for (ProcessHandle p : ProcessHandle.allProcesses().filter(p -> p.info().command().map(c -> c.endsWith("/pbs_mom"))
                    .orElse(false)).toList()) {
                String uts = PbsLive.run(Path.of("/"), List.of("nsenter", "-t", Long.toString(p.pid()), "-u", "hostname", "-s"), 30)
                        .strip();
                if (uts.equals(node)) {
                    Map<String, String> env = new java.util.TreeMap<>();
                    for (String entry : Files.readString(Path.of("/proc/" + p.pid() + "/environ")).split("\0")) {
                        String[] kv = entry.split("=", 2);
                        if (kv.length == 2 && kv[0].startsWith("PBS_")) {
                            env.put(kv[0], kv[1]);
                        }
                    }
                    return new Mom(p.pid(), uts, env, node);
                }
            }
            return null;
        }

        /** SIGKILL to the MoM and to every process of the job's session; the time of the kill. */
        long killWith(String session) {
            long at = System.currentTimeMillis();
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!PbsLive.sessionMembers(session).isEmpty() && System.nanoTime() < deadline) {
                PbsLive.sessionMembers(session).forEach(m -> ProcessHandle.of(m).ifPresent(ProcessHandle::destroyForcibly));
                PbsLive.sleep(100);
            }
            assertTrue(PbsLive.sessionMembers(session).isEmpty(), "the job's processes on " + node + " are gone");
            PbsLive.waitUntil("the MoM of " + node + " gone", 30, () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
            return at;
        }

        /** pbs_mom started again in a UTS namespace named as the node, with its PBS_CONF_FILE; waits until the node is free. */
        void restart() {
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                return;
            }
            List<String> command = new ArrayList<>(List.of("unshare", "--uts", "sh", "-c", "hostname \"$0\" && exec env \"$@\"",
                    hostName));
            environment.forEach((k, v) -> command.add(k + "=" + v));
            command.add(PbsLive.exec().resolve("sbin/pbs_mom").toString());
            PbsLive.run(Path.of("/"), command, 60);
            PbsLive.waitUntil(node + " free again", 120, () -> PbsLive.nodeAttributes(node).path("state").asText().equals("free"));
        }
    }
}
