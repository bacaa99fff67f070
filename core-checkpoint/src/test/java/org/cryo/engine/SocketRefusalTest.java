package org.cryo.engine;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sockets Cryo cannot restore faithfully are refused at checkpoint time with a one-line error
 * naming the fd and why, and the program runs on untouched (program socket_refusals.c).
 */
class SocketRefusalTest {
    private static void refused(String reason, String... args) throws Exception {
        CheckpointHarness.assertCheckpointRefusedAndUntouched(reason, "socket_refusals", args);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aUdpSocketWithADatagramQueued() throws Exception {
        refused("fd 3 of process", "udp-queued");
        refused("with data queued to read", "udp-queued");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aTcpConnectionToAProcessOutside() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            refused("connected to a process outside the checkpoint", "outside-tcp", Integer.toString(server.getLocalPort()));
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aTcpListenerWithAConnectionWaiting() throws Exception {
        refused("TCP socket listening with 1 connections not yet accepted", "tcp-pending");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aPacketSocket() throws Exception {
        refused("fd 3 of process", "packet");
        refused("packet socket (unnamed) (not supported): cannot be restored", "packet");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anEbpfSocketFilter() throws Exception {
        refused("with an eBPF filter attached", "ebpf");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSourceSpecificMulticastGroup() throws Exception {
        refused("a socket in a source-filtered multicast group: cannot be restored", "mcast-source");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aDescriptorInFlight() throws Exception {
        refused("descriptors in flight (SCM_RIGHTS)", "scm-rights");
    }
}
