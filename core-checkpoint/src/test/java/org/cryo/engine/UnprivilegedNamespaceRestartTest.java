package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A normal user (no CAP_CHECKPOINT_RESTORE) checkpoints its own job, soak_job (4 processes, 12
 * threads, pipes), kills it and restarts it with cr_restart: the job comes back with its PIDs in
 * a user and PID namespace of its own (NSpid of every process ends with its old PID, under
 * Cryo's init as PID 1), runs as the user; checkpointed again by that init and restarted once
 * more (cr_restart waiting, its status the job's), it ends with the result of an uninterrupted run.
 * The whole sequence runs as {@code cryotest} in one shell script, under {@code soak_job --reap}
 * so that whatever is left is reaped at once.
 */
class UnprivilegedNamespaceRestartTest {
    static final String ROUNDS = "200";
    static final String WORK = "20000";
    static final String MEM_MIB = "32";

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void normalUserRestartKeepsPidsInANamespaceOfItsOwn() throws Exception {
        int uid = UnprivilegedUser.ensure();
        Path dir = CheckpointHarness.newWorkDir("unpriv-ns");
        try {
            String expected = referenceResult(dir);
            var result = script(dir,
                    "echo ORIGINAL $J $(cat /proc/$J/task/*/children)",
                    "$engine checkpoint --kill -f job.cryo $J || exit 3",
                    "wait $J",
                    "R=$($restart --detach job.cryo) || exit 4",
                    "echo RESTORED $R",
                    "for p in $R $(cat /proc/$R/task/*/children); do echo NSPID $(grep NSpid /proc/$p/status | cut -f2-); done",
                    "echo PARENT $(grep NSpid /proc/$(awk '{print $4}' /proc/$R/stat)/status | cut -f2-)",
                    "echo IDS $(grep -E '^(Uid|Gid|CapEff)' /proc/$R/status | cut -f2- | tr '\\n\\t' '  ')",
                    // checkpointed again by its namespace's init (what cr_run records), restarted, waited for;
                    // with --no-restore-pid (what cr_run asks when the init's old PID is taken on the node): the
                    // job is its namespace's init again all the same, its PIDs there its own
                    "INIT=$(awk '{print $4}' /proc/$R/stat)",
                    "$engine checkpoint --kill -f job2.cryo $INIT || exit 5",
                    "for i in $(seq 400); do [ -e /proc/$R ] || [ -e /proc/$INIT ] || break; sleep 0.05; done",
                    "touch go",
                    "$restart --no-restore-pid job2.cryo > /dev/null",
                    "echo WAITED $?",
                    "cat job.out",
                    "").run(Duration.ofSeconds(80));
            String all = result.describe();
            assertEquals(0, result.status(), all);
            long[] original = numbers(line(result.out(), "ORIGINAL "));
            assertEquals(4, original.length, "the job's processes before the checkpoint: " + all);
            List<String> nspids = result.out().stream().filter(l -> l.startsWith("NSPID ")).toList();
            assertEquals(4, nspids.size(), all);
            long[] inside = new long[4];
            for (int i = 0; i < 4; i++) {
                long[] pair = numbers(nspids.get(i));
                assertEquals(2, pair.length, "one namespace below ours: " + nspids.get(i));
                inside[i] = pair[1];
            }
            Arrays.sort(original);
            Arrays.sort(inside);
            assertEquals(Arrays.toString(original), Arrays.toString(inside), "PIDs in the job's namespace: " + all);
            assertEquals(1, numbers(line(result.out(), "PARENT "))[1], "the root's parent is PID 1 there: " + all);
            long[] ids = numbers(line(result.out(), "IDS "));      // Uid x4, Gid x4, CapEff (hex, all digits)
            for (int i = 0; i < 4; i++) {
                assertEquals(uid, ids[i], "uid: " + all);
            }
            assertEquals(0, ids[8], "the restored job keeps no capability: " + all);
            assertTrue(result.out().contains("PASS"), all);
            assertEquals(expected, line(result.out(), "RESULT "), "drift after the restart: " + all);
            assertEquals("WAITED 0", line(result.out(), "WAITED "), "cr_restart's status is the job's: " + all);
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }

    /**
     * A process-wide pending SIGCHLD with the kernel's siginfo (its child exited, unreaped, while
     * SIGCHLD was blocked) survives a restart into the user's PID namespace and a second restart
     * from there: the siginfo is queued again under the PID the process has in its namespace (the
     * kernel refuses it under any other; a PBS job restored once failed its second restart so).
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aPendingSigchldSurvivesTwoRestartsThroughTheNamespace() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("unpriv-ns-sigchld");
        try {
            var result = UserScript.in(dir)
                    .startJob(CheckpointHarness.program("pending_sigchld") + " " + dir + "/go")
                    .then("$engine checkpoint --kill -f job.cryo $J || exit 3",
                            "wait $J",
                            "R=$($restart --detach job.cryo) || exit 4",
                            "INIT=$(awk '{print $4}' /proc/$R/stat)",
                            "$engine checkpoint --kill -f job2.cryo $INIT || exit 5",
                            "for i in $(seq 400); do [ -e /proc/$R ] || [ -e /proc/$INIT ] || break; sleep 0.05; done",
                            "touch go",
                            "$restart job2.cryo > /dev/null",
                            "echo WAITED $?",
                            "cat job.out")
                    .run(Duration.ofSeconds(80));
            UserScript.assertPassed(result);
            assertEquals("WAITED 0", line(result.out(), "WAITED "), result.describe());
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }

    /**
     * The same job restarted by the user 24 times while {@code cryo-engine restore} gets SIGKILL,
     * SIGTERM, SIGINT or SIGHUP at points from 5% to 125% of one measured restore: in its own
     * namespace the release is atomic (Cryo's init dies with the engine until it commits), so
     * each run leaves no process of the job, or the whole job, which ends with the uninterrupted
     * run's RESULT (or by the signal, passed on to its root).
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void normalUsersRestartInterruptedAnywhereLeavesNothingOrTheWholeJob() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("unpriv-ns-interrupted");
        try {
            String expected = referenceResult(dir);
            var result = script(dir,
                    "K=\"$J $(cat /proc/$J/task/*/children)\"",
                    "$engine checkpoint --kill -f job.cryo $J || exit 3",
                    "wait $J",
                    "for p in $K; do for i in $(seq 400); do [ -e /proc/$p ] || break; sleep 0.05; done; done",
                    "touch go",
                    // the job writes to job.out at its old offset: emptied before each run
                    ": > job.out; t0=$(date +%s%N); $prog --reap $engine restore -v job.cryo > t.out 2> t.err &",
                    "R=$!",
                    "until grep -q 'as PID' t.err || ! [ -e /proc/$R ]; do sleep 0.002; done",
                    "ms=$(( ($(date +%s%N) - t0) / 1000000 )); wait $R",
                    "echo MEASURED $ms $(grep -a '^RESULT' job.out)",
                    "for i in 0 1 2 3 4 5; do for sig in KILL TERM INT HUP; do",
                    "  d=$(( ms * (5 + 24 * i) / 100 ))",
                    "  : > job.out; $prog --reap $engine restore -v job.cryo > t.out 2> t.err &",
                    "  R=$!",
                    "  sleep $(printf '0.%03d' $d)",
                    "  E=$(cut -d' ' -f1 /proc/$R/task/$R/children 2>/dev/null)",
                    "  [ -n \"$E\" ] && kill -$sig $E",
                    "  wait $R; rc=$?",
                    "  left=$(ps -u " + UnprivilegedUser.NAME + " -o args= | grep -c '^[^ ]*soak_job " + dir + "/go')",
                    "  echo \"TRIAL $sig $d $rc $left $(grep -c 'as PID' t.err) $(grep -c 'interrupted by signal' t.err)"
                            + " $(grep REAPED t.err | grep -vc -e ' signal 9$' -e ' exit 125$') $(grep -a '^RESULT' job.out)\"",
                    "done; done",
                    "").run(Duration.ofSeconds(85));
            String all = result.describe();
            assertEquals(0, result.status(), all);
            assertTrue(line(result.out(), "MEASURED ").endsWith(expected), "the uninterrupted restart: " + all);
            int[] outcomes = new int[4];     // interrupted, nothing ran, finished, ended by the passed-on signal
            List<String> trials = result.out().stream().filter(l -> l.startsWith("TRIAL ")).toList();
            assertEquals(24, trials.size(), all);
            for (String trial : trials) {
                String[] f = trial.split(" ");   // TRIAL sig ms status left restored interrupted reaped-not-killed [RESULT hex]
                String where = trial + " in " + all;
                assertEquals("0", f[4], "processes of the job left: " + where);
                boolean restored = !f[5].equals("0");
                boolean interrupted = !f[6].equals("0");
                if (f.length > 9) {
                    // (the engine may have died after the release, before its "restored" line)
                    assertEquals(expected, f[8] + " " + f[9], "drift: " + where);
                    outcomes[2]++;
                } else if (!restored) {
                    // the orphan reaped here is Cryo's init: killed with the engine, or ended on its socket's end
                    assertEquals("0", f[7], "the job's init ran on (not killed, not 125): " + where);
                    assertTrue(interrupted ? f[3].equals("125") : f[1].equals("KILL") || !f[3].equals("125"), where);
                    outcomes[interrupted ? 0 : 1]++;
                } else {
                    assertTrue(!f[1].equals("KILL"), "the job ran but did not finish: " + where);
                    outcomes[3]++;
                }
            }
            System.out.printf("interrupted unprivileged restart: 24 signals: %d interrupted, %d killed before the job ran,"
                    + " %d finished, %d ended by the passed-on signal%n", outcomes[0], outcomes[1], outcomes[2], outcomes[3]);
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }

    private static String referenceResult(Path dir) throws Exception {
        Path go = dir.resolve("reference-go");
        Files.createFile(go);
        var result = CheckpointHarness.run(List.of(CheckpointHarness.program("soak_job").toString(), go.toString(),
                ROUNDS, WORK, MEM_MIB), Duration.ofSeconds(60));
        assertEquals(0, result.status(), result.describe());
        return line(result.out(), "RESULT ");
    }

    private static String line(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + prefix + "line in " + lines));
    }

    private static long[] numbers(String line) {
        return Arrays.stream(line.trim().split("\\s+")).skip(1).mapToLong(Long::parseLong).toArray();
    }

    /**
     * A script for the test user: start the job (soak_job, its PID in $J, $prog set) in
     * {@code dir}, wait for its first round, then run {@code steps}.
     */
    private static UserScript script(Path dir, String... steps) throws Exception {
        return UserScript.in(dir)
                .then("prog=" + CheckpointHarness.program("soak_job"))
                .startJob("$prog " + dir + "/go " + ROUNDS + " " + WORK + " " + MEM_MIB, "PROGRESS")
                .then(steps);
    }
}
