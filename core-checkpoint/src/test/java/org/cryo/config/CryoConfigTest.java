package org.cryo.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.engine.CheckpointHarness;
import org.cryo.testsupport.Commands;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * cryo.conf: the system file, then the user's, then the environment; the trust rules; the
 * native reader (cryo-engine config) agreeing with the Java one on the same files.
 */
class CryoConfigTest {
    private static final CryoConfig.Identity ROOT = new CryoConfig.Identity(0, 0);

    private Path dir;
    private Path system;
    private Path userHome;
    private Path user;
    private final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void files() throws Exception {
        dir = CheckpointHarness.newWorkDir("config");
        system = dir.resolve("etc-cryo.conf");
        userHome = dir.resolve("home");
        user = userHome.resolve(".config/cryo/cryo.conf");
        Files.createDirectories(user.getParent());
        env.put(CryoConfig.FILE_VARIABLE, system.toString());
        env.put("HOME", userHome.toString());
    }

    @AfterEach
    void clean() {
        CheckpointHarness.deleteTree(dir);
    }

    private static void write(Path file, String text) throws Exception {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

    @Test
    void systemThenUserThenEnvironment() throws Exception {
        write(system, "# site\ncatalog.keep = 5\nnode.exec = ssh\ncatalog.root = /scratch/cryo\nlog.file = /var/log/cryo.log\n");
        write(user, "catalog.keep = 9\n  node.exec   =   srun --jobid=%j --overlap -w %n  \ncatalog.root =\n");
        env.put("CRYO_KEEP_CHECKPOINTS", "11");
        CryoConfig config = CryoConfig.load(env, ROOT);

        assertEquals(Optional.of("11"), config.value(ConfigKeys.CATALOG_KEEP));
        assertEquals("environment", config.setting(ConfigKeys.CATALOG_KEEP).source());
        assertEquals(Optional.of("srun --jobid=%j --overlap -w %n"), config.value(ConfigKeys.NODE_EXEC));
        assertEquals(user + ":2", config.setting(ConfigKeys.NODE_EXEC).source());
        assertEquals(Optional.empty(), config.value(ConfigKeys.CATALOG_ROOT), "'key =' in the user file: the default again");
        assertEquals(Optional.of("/var/log/cryo.log"), config.value(ConfigKeys.LOG_FILE));
        assertEquals(system + ":5", config.setting(ConfigKeys.LOG_FILE).source());
        CryoConfig none = CryoConfig.load(Map.of("HOME", "/nonexistent", CryoConfig.FILE_VARIABLE,
                dir.resolve("none").toString()), ROOT);
        assertEquals(Optional.empty(), none.value(ConfigKeys.CATALOG_KEEP), "no file, no variable: the default");
        assertEquals("default", none.setting(ConfigKeys.CATALOG_KEEP).source());

        Map<String, String> seen = config.environment();
        assertEquals("11", seen.get("CRYO_KEEP_CHECKPOINTS"));
        assertEquals("srun --jobid=%j --overlap -w %n", seen.get("CRYO_NODE_EXEC"), "a file's setting under its variable");
        assertFalse(seen.containsKey("CRYO_CHECKPOINT_DIR"));
        assertTrue(config.notices().isEmpty(), config.notices().toString());
    }

    @Test
    void aSystemFileOthersCanWriteIsIgnored() throws Exception {
        write(system, "catalog.keep = 5\n");
        Files.setPosixFilePermissions(system, PosixFilePermissions.fromString("rw-rw-r--"));
        CryoConfig config = CryoConfig.load(env, ROOT);
        assertEquals(Optional.empty(), config.value(ConfigKeys.CATALOG_KEEP));
        assertEquals(List.of("ignoring " + system + ": writable by group or others"), config.notices());
    }

    @Test
    void aSystemFileNotRootsIsIgnored() throws Exception {
        write(system, "catalog.keep = 5\n");
        Files.setAttribute(system, "unix:uid", 65534);
        CryoConfig config = CryoConfig.load(env, ROOT);
        assertEquals(Optional.empty(), config.value(ConfigKeys.CATALOG_KEEP));
        assertEquals(List.of("ignoring " + system + ": owned by uid 65534, not root"), config.notices());
    }

    @Test
    void aUserFileCountsOnlyForItsOwnersOwnActions() throws Exception {
        write(user, "catalog.keep = 9\n");
        Files.setAttribute(user, "unix:uid", 65534);
        CryoConfig asRoot = CryoConfig.load(env, ROOT);
        assertEquals(Optional.empty(), asRoot.value(ConfigKeys.CATALOG_KEEP), "root with another user's HOME (sudo)");
        assertEquals(List.of("ignoring " + user + ": owned by uid 65534, not uid 0"), asRoot.notices());

        CryoConfig asOwner = CryoConfig.load(env, new CryoConfig.Identity(65534, 65534));
        assertEquals(Optional.of("9"), asOwner.value(ConfigKeys.CATALOG_KEEP));

        CryoConfig setuid = CryoConfig.load(env, new CryoConfig.Identity(65534, 0));
        assertEquals(Optional.empty(), setuid.value(ConfigKeys.CATALOG_KEEP), "real and effective uid differ: no user file");
        assertTrue(setuid.notices().isEmpty());
    }

    @Test
    void aSymbolicLinkIsNotFollowed() throws Exception {
        Path real = dir.resolve("real.conf");
        write(real, "catalog.keep = 5\n");
        Files.createSymbolicLink(system, real);
        CryoConfig config = CryoConfig.load(env, ROOT);
        assertEquals(Optional.empty(), config.value(ConfigKeys.CATALOG_KEEP));
        assertEquals(List.of("ignoring " + system + ": not a regular file"), config.notices());
    }

    @Test
    void badLinesAreNamedAndSkipped() throws Exception {
        write(system, "catalog.keep = 5\nno equals sign\nBad Key = 1\ncatalog.kep = 4\nlog.file = a\u0001b\nnode.exec = ssh\n");
        CryoConfig config = CryoConfig.load(env, ROOT);
        assertEquals(Optional.of("5"), config.value(ConfigKeys.CATALOG_KEEP));
        assertEquals(Optional.of("ssh"), config.value(ConfigKeys.NODE_EXEC));
        assertEquals(Optional.empty(), config.value(ConfigKeys.LOG_FILE));
        assertEquals(4, config.notices().size(), config.notices().toString());
        assertTrue(config.notices().get(0).startsWith(system + ":2: not 'key = value'"), config.notices().get(0));
        assertTrue(config.notices().get(2).contains(":4: unknown key 'catalog.kep'"), config.notices().get(2));
    }

    /** The native tools' reader: same files, same order, same values, same keys and variables as the Java table. */
    @Test
    void theNativeReaderAgrees() throws Exception {
        write(system, "files.deleted.max = 1M\nlog.file = /tmp/from-system\nprogress = no\nnode.exec = ssh\n");
        write(user, "log.file = /tmp/from-user\n");
        Map<String, String> add = new HashMap<>(env);
        add.put("CRYO_PROGRESS", "auto");
        String output = Commands.run(dir, List.of(CheckpointHarness.cryoHome().resolve("native/target/bin/cryo-engine")
                .toString(), "config"), add, List.of("XDG_CONFIG_HOME", "CRYO_DELETED_FILE_MAX", "CRYO_LOG_FILE"), 30, 0);
        CryoConfig java = CryoConfig.load(add, CryoConfig.Identity.ofThisProcess());
        int nativeKeys = 0;
        for (String line : output.strip().split("\n")) {
            assertFalse(line.startsWith("#"), "a notice from the native reader: " + line);
            String[] field = line.split("\t", -1);
            ConfigKey key = ConfigKeys.named(field[0]).orElseThrow(() -> new AssertionError("not in ConfigKeys: " + line));
            assertTrue(key.nativeToo(), key.key() + " read natively but not marked so");
            assertEquals(key.variable(), field[3], key.key());
            assertEquals(java.value(key).orElse(key.defaultValue().startsWith("(") ? "" : key.defaultValue()), field[1],
                    key.key());
            assertEquals(java.setting(key).source(), field[2], key.key());
            nativeKeys++;
        }
        assertEquals(ConfigKeys.ALL.stream().filter(ConfigKey::nativeToo).count(), nativeKeys);
        assertTrue(output.contains("files.deleted.max\t1M\t" + system + ":1"), output);
        assertTrue(output.contains("log.file\t/tmp/from-user\t" + user + ":1"), output);
        assertTrue(output.contains("progress\tauto\tenvironment"), output);
    }

    @Test
    void cryoConfigPrintsTheEffectiveValueOfAKey() throws Exception {
        write(system, "catalog.keep = 5\n");
        String cryo = CheckpointHarness.launcher("cryo").toString();
        assertEquals("5", Commands.run(dir, List.of(cryo, "config", "catalog.keep"), env,
                List.of("CRYO_KEEP_CHECKPOINTS", "XDG_CONFIG_HOME"), 60, 0).strip());
        String all = Commands.run(dir, List.of(cryo, "config"), env, List.of("CRYO_KEEP_CHECKPOINTS", "XDG_CONFIG_HOME"), 60, 0);
        assertTrue(all.lines().anyMatch(l -> l.matches("catalog\\.keep +=  *5 +# " + java.util.regex.Pattern.quote(
                system.toString()) + ":1 \\(CRYO_KEEP_CHECKPOINTS\\)")), all);
        assertTrue(all.lines().anyMatch(l -> l.startsWith("node.exec") && l.contains("scheduler") && l.contains("# default")), all);
    }

    /** docs/CONFIG.md and the file to install list every key, and the file parses cleanly. */
    @Test
    void everyKeyIsDocumentedAndInTheSampleFile() throws Exception {
        Path root = CheckpointHarness.cryoHome();
        String doc = Files.readString(root.resolve("docs/CONFIG.md"));
        String sample = Files.readString(root.resolve("etc/cryo/cryo.conf"));
        for (ConfigKey key : ConfigKeys.ALL) {
            assertTrue(doc.contains("| `" + key.key() + "` | `" + key.variable() + "` |"), key.key() + " in docs/CONFIG.md");
            assertTrue(sample.contains("\n#" + key.key() + " ="), key.key() + " in etc/cryo/cryo.conf");
        }
        write(system, sample.replaceAll("(?m)^#([a-z])", "$1"));
        CryoConfig config = CryoConfig.load(env, ROOT);
        assertTrue(config.notices().isEmpty(), config.notices().toString());
        assertEquals(Optional.of("scheduler"), config.value(ConfigKeys.NODE_EXEC));
    }
}
