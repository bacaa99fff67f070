package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An unprivileged user restarting a context recorded from a root process gets an error, or a
 * process running as that user: never a root process (program baseline.c reports its ids).
 */
class UnprivilegedRestartTest {
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void rootContextNeverRestartsAsRootForAnotherUser() throws Exception {
        int uid = UnprivilegedUser.ensure();
        try (var original = CheckpointHarness.Original.start("baseline")) {
            Path context = original.checkpoint();
            original.kill();
            UserPrincipal user = context.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByName(UnprivilegedUser.NAME);
            Files.setOwner(context, user);   // readable by the user: the engine must decide, not the file mode
            original.go();
            var result = CheckpointHarness.run(UnprivilegedUser.as(
                    CheckpointHarness.launcher("cr_restart").toString(), context.toString()), Duration.ofSeconds(60));
            List<String> ids = result.out().stream().filter(l -> l.startsWith("IDS ")).toList();
            if (result.status() != 0) {
                CheckpointHarness.assertOneLineError(result.err());
                assertEquals(List.of(), ids, "a process ran although the restart failed: " + result.describe());
            } else {
                assertEquals(1, ids.size(), result.describe());
                String[] f = ids.get(0).split(" ");   // IDS uid R E S gid R E S
                for (int i : new int[] {2, 3, 4}) {
                    assertEquals(uid, Integer.parseInt(f[i]), "restarted with uids " + ids.get(0));
                }
                for (int i : new int[] {6, 7, 8}) {
                    assertTrue(Integer.parseInt(f[i]) != 0, "restarted with gid 0: " + ids.get(0));
                }
            }
        }
    }
}
