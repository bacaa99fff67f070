package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.cryo.api.RestartOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * BLCR's callbacks: an application linked with libcryo_callbacks reconnects its socket to an
 * outside server in a restart callback, before it carries on (program callbacks/callback_socket.c).
 */
class RestartCallbackTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aCallbackReopensTheSocketToTheOutside() throws Exception {
        Path dir = CheckpointHarness.newWorkDir("callback");
        Path path = dir.resolve("server.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path), 10);
            try (var original = CheckpointHarness.Original.start("callback_socket", path.toString())) {
                try (SocketChannel first = server.accept()) {
                    var context = original.checkpoint();
                    original.kill();
                    var restored = original.restart(context, RestartOptions.builder().inheritIo(false).build());
                    try (SocketChannel again = server.accept()) {       // the callback's connection
                        original.go();
                        restored.assertPassed();
                        ByteBuffer buf = ByteBuffer.allocate(16);
                        again.read(buf);
                        String got = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
                        assertTrue(got.equals("after"), "the server got '" + got + "' over the new connection");
                    }
                }
            }
        } finally {
            CheckpointHarness.deleteTree(dir);
        }
    }
}
