package org.cryo.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.cryo.scheduler.SchedulerException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** slurm.rest.token.file (CRYO_SLURM_TOKEN_FILE): a credential file, used only when it is the caller's alone. */
class SlurmTokenFileTest {
    @TempDir
    Path dir;

    @Test
    void aPrivateTokenFileGivesTheToken() throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, "SLURM_JWT=eyJhbGciOiJIUzI1NiJ9.e30.abc\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        SlurmConfig config = SlurmConfig.from(Map.of(SlurmConfig.TOKEN_FILE_VARIABLE, file.toString()));
        assertEquals("eyJhbGciOiJIUzI1NiJ9.e30.abc", config.token());
        assertEquals("set", SlurmConfig.from(Map.of(SlurmConfig.TOKEN_FILE_VARIABLE, file.toString(),
                "SLURM_REST_TOKEN", "set")).token(), "the variable wins over the file");
    }

    @Test
    void aTokenFileOthersCanReadIsRefused() throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, "abc\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        SchedulerException e = assertThrows(SchedulerException.class,
                () -> SlurmConfig.from(Map.of(SlurmConfig.TOKEN_FILE_VARIABLE, file.toString())));
        assertTrue(e.getMessage().contains("must be yours with mode 0600") && e.getMessage().contains("mode 644"), e.getMessage());
    }

    @Test
    void aLinkOrAnEmptyFileIsRefused() throws Exception {
        Path empty = dir.resolve("empty");
        Files.writeString(empty, "\n");
        Files.setPosixFilePermissions(empty, PosixFilePermissions.fromString("rw-------"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), empty);
        assertTrue(assertThrows(SchedulerException.class, () -> SlurmConfig.from(Map.of(SlurmConfig.TOKEN_FILE_VARIABLE,
                link.toString()))).getMessage().contains("not a regular file"));
        assertTrue(assertThrows(SchedulerException.class, () -> SlurmConfig.from(Map.of(SlurmConfig.TOKEN_FILE_VARIABLE,
                empty.toString()))).getMessage().contains("holds no token"));
    }
}
