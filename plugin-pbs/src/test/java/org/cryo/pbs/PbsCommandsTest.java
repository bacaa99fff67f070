package org.cryo.pbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.cryo.scheduler.SchedulerException;
import org.junit.jupiter.api.Test;

/** Where the clients are found and how a client that fails or never answers is reported. */
class PbsCommandsTest {
    @Test
    void binariesComeFromPbsExecThenPbsConf() throws Exception {
        assertEquals(Path.of("/srv/pbs/bin"), PbsCommands.configured(Map.of("PBS_EXEC", "/srv/pbs")).binaries());
        // the recorded /etc/pbs.conf of the real installation
        Path conf = RecordedPbs.RECORDED.resolve("pbs.conf.txt");
        assertEquals(Path.of("/opt/pbs/bin"), PbsCommands.configured(Map.of("PBS_CONF_FILE", conf.toString())).binaries());
        assertEquals(Path.of("/var/spool/pbs"), MomConfig.pbsHome(Map.of("PBS_CONF_FILE", conf.toString())));
        assertEquals(Path.of("/var/spool/pbs"), MomConfig.momHome(Map.of("PBS_CONF_FILE", conf.toString())),
                "no PBS_MOM_HOME: the MoM's files are under PBS_HOME");
        assertEquals(Path.of("/var/spool/pbs-vm2"), MomConfig.momHome(Map.of("PBS_CONF_FILE", conf.toString(),
                "PBS_MOM_HOME", "/var/spool/pbs-vm2")), "a second MoM on the host has its own");
        assertEquals(Path.of("/opt/pbs/bin"), PbsCommands.configured(Map.of("PBS_CONF_FILE", "/nonexistent")).binaries());
        assertEquals(Path.of("/opt/pbs/bin"), PbsCommands.configured(Map.of("PBS_EXEC", "relative/dir")).binaries());
    }

    @Test
    void aMissingClientIsOneLine() throws Exception {
        PbsCommands commands = PbsCommands.configured(Map.of("PBS_EXEC", "/nonexistent/pbs"));
        SchedulerException e = assertThrows(SchedulerException.class, () -> commands.hold("3.vm"));
        assertTrue(e.getMessage().startsWith("cannot run /nonexistent/pbs/bin/qhold (is PBS's client installed?"),
                e.getMessage());
    }

    @Test
    void aClientThatNeverAnswersIsCutOff() throws Exception {
        // not a recording: a client stuck on a server that does not answer, as a script that does not end
        Path dir = Files.createTempDirectory("cryo-pbs-hang-");
        try {
            Path qstat = Files.createDirectories(dir.resolve("bin")).resolve("qstat");
            Files.writeString(qstat, "#!/bin/sh\nexec sleep 600\n");
            Files.setPosixFilePermissions(qstat, PosixFilePermissions.fromString("rwxr-xr-x"));
            PbsCommands commands = PbsCommands.configured(Map.of("PBS_EXEC", dir.toString()));
            SchedulerException e = assertThrows(SchedulerException.class, () -> commands.run(1, "qstat", "-fx", "-F", "json", "3.vm"));
            assertInstanceOf(PbsCommands.ServerDown.class, e);
            assertEquals("qstat -fx -F json 3.vm: no answer within 1 s (is the PBS server running?)", e.getMessage());
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aClientThatLeavesAProcessBehindReturnsAtItsExitWithBothStreamsApart() throws Exception {
        // a client whose helper outlives it, still holding its stdout and stderr: once the reads
        // waited for that holder (pipes), now the client's exit is the end
        Path dir = Files.createTempDirectory("cryo-pbs-holder-");
        Path holder = dir.resolve("holder.pid");
        try {
            Path qstat = Files.createDirectories(dir.resolve("bin")).resolve("qstat");
            Files.writeString(qstat, "#!/bin/sh\nsleep 30 & echo $! > " + holder + "\necho '{\"Jobs\":{}}'\n"
                    + "echo 'qstat: Unknown Job Id 3.vm' >&2\nexit 153\n");
            Files.setPosixFilePermissions(qstat, PosixFilePermissions.fromString("rwxr-xr-x"));
            PbsCommands commands = PbsCommands.configured(Map.of("PBS_EXEC", dir.toString()));
            long t0 = System.nanoTime();
            PbsCommands.Output out = commands.run(20, "qstat", "-fx", "-F", "json", "3.vm");
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            assertTrue(seconds < 15, "returned at the client's exit, not the helper's (" + seconds + " s)");
            assertEquals(PbsCommands.UNKNOWN_JOB, out.status());
            assertEquals("{\"Jobs\":{}}\n", out.stdout());
            assertEquals("qstat: Unknown Job Id 3.vm", out.message());
        } finally {
            if (Files.exists(holder)) {
                ProcessHandle.of(Long.parseLong(Files.readString(holder).strip())).ifPresent(ProcessHandle::destroyForcibly);
            }
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void theExitStatusIsThePbsErrorModulo256() {
        assertEquals(15001 % 256, PbsCommands.UNKNOWN_JOB);
        assertEquals(15139 % 256, PbsCommands.FINISHED);
        assertEquals(15007 % 256, PbsCommands.NOT_PERMITTED);
        assertEquals(15016 % 256, PbsCommands.BAD_STATE);
        assertEquals(15061 % 256, PbsCommands.CHECKPOINT_FAILED);
    }

    @Test
    void usageErrorsOfTheClientsAreOneLine() throws Exception {
        try (RecordedPbs pbs = new RecordedPbs().serve("J-qhold-malformed.txt").serve("J-qhold-bad-holdtype.txt")) {
            PbsCommands.Output out = pbs.commands().run("qhold", "abc@@x");
            assertEquals(1, out.status());
            assertEquals("PBS: qhold: illegally formed job identifier: abc@@x (abc@@x, exit status 1)",
                    PbsCommands.failure(out, "abc@@x").getMessage());
            PbsCommands.Output usage = pbs.commands().run("qhold", "-h", "z", "7.vm");
            assertEquals(2, usage.status());
            assertEquals("PBS: qhold --version (7.vm, exit status 2)", PbsCommands.failure(usage, "7.vm").getMessage(),
                    "the last line of the usage text");
        }
    }
}
