package org.cryo.pbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cryo.api.SafeText;
import org.cryo.health.HealthPolicy;
import org.cryo.health.SysfsFixture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MoM periodic hook ({@code plugin-pbs/hooks/cryo_health.py}) as the MoM runs it, where no PBS
 * runs: the hook script itself, under python3, with the environment, working directory, event and
 * {@code pbs} module attributes recorded from a real OpenPBS 23.06.06 MoM running an
 * exechost_periodic hook ({@code recorded/HK-exechost_periodic-vm.json}); the {@code pbs} module
 * exists only inside the MoM's pbs_python, so that module is the one stand-in (built from the
 * recording: the event's type, the vnode's name, the log levels, accept() ending the hook with
 * SystemExit).  What the hook runs is the real {@code bin/cryo health --act} on a fixture sysfs
 * tree, acting through PBS clients that replay the recorded outputs ({@link RecordedPbs}).  The live
 * suite ({@code PbsHealthHookLiveTest}) runs it in real MoMs.
 */
class HealthHookContractTest {
    private static final Path HOOK = RecordedPbs.HOME.resolve("plugin-pbs/hooks/cryo_health.py");
    private static final Path CRYO = RecordedPbs.HOME.resolve("bin/cryo");
    private static final String ANY_COMMENT = "pbsnodes -o -C prints nothing whatever the comment; recorded with"
            + " \"cryo drain test\"";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    private JsonNode recorded;
    private Path momLog;
    private Path standIn;
    private SysfsFixture tree;

    @BeforeEach
    void standInForThePbsModule() throws Exception {
        recorded = JSON.readTree(RecordedPbs.RECORDED.resolve("HK-exechost_periodic-vm.json").toFile());
        momLog = work.resolve("mom_log");
        standIn = Files.createDirectories(work.resolve("pbs_python"));
        JsonNode levels = recorded.path("LOG");
        Files.writeString(standIn.resolve("pbs.py"), String.join("\n",
                "# the pbs module of OpenPBS 23.06.06's pbs_python, as an exechost_periodic hook saw it (recorded)",
                "import os",
                "EXECHOST_PERIODIC = " + recorded.path("EXECHOST_PERIODIC").asInt(),
                "LOG_DEBUG, LOG_WARNING, LOG_ERROR = " + levels.get(0).asInt() + ", " + levels.get(1).asInt() + ", "
                        + levels.get(2).asInt(),
                "hook_config_filename = os.environ.get('PBS_HOOK_CONFIG_FILE')   # as _svr_types.py sets it",
                "class _Event:",
                "    type = " + recorded.path("type").asInt(),
                "    hook_name = " + JSON.writeValueAsString(recorded.path("hook_name").asText()),
                "    def accept(self, ecode=0):",
                "        raise SystemExit(ecode)   # what pbs.event().accept() does",
                "_event = _Event()",
                "def event():",
                "    return _event",
                "def get_local_nodename():",
                "    return " + JSON.writeValueAsString(recorded.path("local_nodename").asText()),
                "def logmsg(level, message):",
                "    with open(" + JSON.writeValueAsString(momLog.toString()) + ", 'a') as log:",
                "        log.write('%d;%s\\n' % (level, message))",
                ""));
        tree = new SysfsFixture(Files.createDirectories(work.resolve("sys"))).edacDimm(0, 0, 0, 0);
    }

    /** The settings install-hook writes, pointing the hook at the replayed clients and the fixture tree. */
    private Path settings(RecordedPbs pbs) throws Exception {
        Path policy = Files.writeString(work.resolve("health.conf"), "monitors = edac\n");
        HealthHook hook = HealthHook.forPolicy(HOOK, HealthPolicy.load(policy));
        Path file = work.resolve("cryo_health.CF");
        Files.writeString(file, hook.settingsJson(CRYO, policy, tree.root(), work.resolve("state/{node}.json"), false,
                pbs.environment()));
        return file;
    }

    /** The hook run as the MoM runs it: python3 with the recorded environment, in hooks/tmp; its MoM log lines. */
    private List<String> runHook(Path settings, String... lockedBy) throws Exception {
        Path tmp = Files.createDirectories(work.resolve("hooks/tmp"));
        List<String> command = new ArrayList<>(List.of(lockedBy));
        command.addAll(List.of("env", "-i", "-C", tmp.toString()));
        recorded.path("env").fields().forEachRemaining(e -> command.add(e.getKey() + "="
                + (e.getKey().equals("PBS_HOOK_CONFIG_FILE") ? settings.toString() : e.getValue().asText())));
        command.addAll(List.of("PYTHONPATH=" + standIn, "/usr/bin/python3", HOOK.toString()));
        Files.deleteIfExists(momLog);
        MomNode.Result run = MomNode.exec(command);
        assertEquals(0, run.status(), "the hook ends with accept() (SystemExit 0): " + run.out());
        assertEquals("", run.out(), "the hook writes to the MoM's log only");
        return Files.exists(momLog) ? Files.readAllLines(momLog) : List.of();
    }

    @Test
    void theRecordedHookEnvironmentHasNoJavaHomeAndAShortPath() {
        // what the hook must cope with: cryo's launcher finds java on /bin:/usr/bin, or the settings name JAVA_HOME
        assertEquals("/bin:/usr/bin", recorded.path("env").path("PATH").asText());
        assertEquals(recorded.path("EXECHOST_PERIODIC").asText(), recorded.path("type").asText());
        assertEquals(0, recorded.path("uid").asInt(), "the MoM runs its hooks as root");
    }

    @Test
    void atWarnTheHookOfflinesItsVnodeWithTheReasonAndLogsItInTheMomLog() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("pbsnodes-av.json")) {
            Path settings = settings(pbs);
            assertEquals(List.of("5;cryo_health: ok"), runHook(settings), "healthy: one debug line");
            assertEquals(List.of(), pbs.calls(), "nothing asked of PBS while healthy");
            tree.edacDimm(0, 0, 30, 0);   // 30 since the last run, its history in state/vm.json: warn (20 within 1h)
            String reason = "cryo health warn: ECC corrected: edac mc0/dimm0 (CPU_SrcID#0_MC#0_Chan#0_DIMM#0) dimm_ce_count:"
                    + " 30 corrected errors within 1h (warn at 20) (+1 more)";   // the other: mc0's ce_count
            pbs.serveFor("pbsnodes -o -C " + SafeText.escape(reason, 80) + " vm", "P-pbsnodes-offline.txt", ANY_COMMENT);
            List<String> log = runHook(settings);
            assertEquals(List.of("6;cryo_health: " + reason.replaceFirst("^cryo health ", ""), "6;cryo_health: drain: done"),
                    log, "the verdict and what was done, as warnings in the MoM's log");
            assertEquals(List.of("pbsnodes -av -F json", "pbsnodes -o -C " + SafeText.escape(reason, 80) + " vm"),
                    pbs.calls(), "vm (the recorded vnode) offlined with the precursor as its comment, no job touched");
            assertTrue(Files.exists(work.resolve("state/vm.json")), "{node} in the state path is the vnode's name");
        }
    }

    @Test
    void aCheckStillRunningMakesTheNextOneSkipNotActTwice() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs()) {
            Path settings = settings(pbs);
            Path lock = Files.createDirectories(work.resolve("state")).resolve("pbs-hook-vm.lock");
            // flock(1) holds the lock the hook takes, as a run still evacuating would
            List<String> log = runHook(settings, "flock", lock.toString());
            assertEquals(List.of("6;cryo_health: the previous check is still running: this one skipped"), log);
            assertTrue(Files.notExists(work.resolve("state/vm.json")), "cryo health did not run");
        }
    }

    @Test
    void aBadSettingsFileIsRefusedByNameAndRunsNothing() throws Exception {
        Map<String, String> bad = Map.of(
                "{\"cryo\": \"/bin/true\", \"rooot\": \"/\"}", "cryo_health: unknown setting 'rooot' in ",
                "{\"timeout\": \"170\"}", "cryo_health: setting 'timeout' in ",
                "{\"cryo\": \"bin/cryo\"}", "cryo_health: cryo 'bin/cryo' (in ",
                "{\"environment\": {\"A=B\": \"x\"}}", "cryo_health: environment 'A=B' in ",
                "[1]", "cryo_health: the hook's configuration ");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            Path file = Files.writeString(work.resolve("bad.CF"), e.getKey());
            List<String> log = runHook(file);
            assertEquals(1, log.size(), e.getKey() + ": " + log);
            assertTrue(log.get(0).startsWith(levelError() + ";" + e.getValue()), e.getKey() + ": " + log);
        }
        assertTrue(Files.notExists(work.resolve("state")), "nothing ran");
    }

    @Test
    void installHookSizesFreqAndAlarmFromThePolicyAndImportsScriptAndSettings() throws Exception {
        HealthHook defaults = HealthHook.forPolicy(HOOK, HealthPolicy.defaults());
        assertEquals(30, defaults.freq(), "poll.interval 30s");
        assertEquals(60 * 2 + 30 + 60, defaults.alarm(), "checkpoint.time x trend_factor + requeue_time + 60 s");
        assertEquals(defaults.alarm() - 10, defaults.childTimeout(), "the hook ends cryo health before PBS ends the hook");
        HealthHook fast = HealthHook.forPolicy(HOOK, HealthPolicy.with(Map.of("poll.interval", "5s", "checkpoint.time",
                "2s", "scheduler.requeue_time", "5s"), "test"));
        assertEquals(5, fast.freq());
        assertEquals(2 * 2 + 5 + 60, fast.alarm());
        Path settings = Path.of("/etc/cryo/pbs-health-hook.json");
        assertEquals(List.of("create hook cryo_health", "set hook cryo_health event = exechost_periodic",
                "set hook cryo_health freq = 30", "set hook cryo_health alarm = 210", "set hook cryo_health enabled = true",
                "import hook cryo_health application/x-python default " + HOOK,
                "import hook cryo_health application/x-config default " + settings), defaults.qmgrCommands(false, settings));
        assertEquals("set hook cryo_health event = exechost_periodic", defaults.qmgrCommands(true, settings).get(0),
                "a second run updates the hook in place");
    }

    private int levelError() {
        return recorded.path("LOG").get(2).asInt();
    }
}
