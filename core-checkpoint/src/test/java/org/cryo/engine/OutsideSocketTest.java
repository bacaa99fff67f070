package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A socket to a peer outside the checkpoint comes back unconnected with a warning, as BLCR
 * did (program outside_socket.c); the program can connect again.
 */
class OutsideSocketTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSocketToTheOutsideComesBackClosedWithAWarning() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("outside-socket");
        Path path = dir.resolve("server.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path), 10);
            try (var original = CheckpointHarness.Original.start("outside_socket", path.toString())) {
                var context = original.checkpoint();
                original.kill();
                var restored = original.restart(context, RestartOptions.builder().inheritIo(false).build());
                original.go();
                restored.assertPassed();
                String warnings = String.join("\n", restored.err().lines());
                assertTrue(warnings.contains("warning: fd 3 of process") && warnings.contains("unconnected"), warnings);
            }
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }
}
