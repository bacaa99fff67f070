package org.cryo.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sockets made again by their own calls (program inet_sockets.c): UDP, UDPv6, UDP-Lite, raw
 * ICMP, a bound and a fresh TCP socket, netlink with its groups, an unnamed Unix socket and a
 * Unix datagram socket connected to a bound one come back with the same addresses, peers and
 * options (filter included), and carry data again.
 */
class InetSocketsTest {
    private static final Path PING_RANGE = Path.of("/proc/sys/net/ipv4/ping_group_range");

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void datagramRawNetlinkAndUnconnectedSocketsComeBackAsTheyWere() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("inet_sockets");
    }

    /** Ping sockets need a ping_group_range that holds root's group: set for the test, then put back. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void pingSocketsComeBackBoundAndConnected() throws Exception {
        String range = Files.readString(PING_RANGE).trim();
        String[] bounds = range.split("\\s+");
        boolean rootAllowed = Long.parseLong(bounds[0]) <= 0 && Long.parseLong(bounds[1]) >= 0;
        assumeTrue(rootAllowed || Files.isWritable(PING_RANGE), "cannot allow ping sockets for root");
        if (!rootAllowed) {
            Files.writeString(PING_RANGE, "0 0");
        }
        try {
            CheckpointHarness.checkpointRestartAndPass("inet_sockets", "ping");
        } finally {
            if (!rootAllowed) {
                Files.writeString(PING_RANGE, range.replaceAll("\\s+", " "));
            }
        }
    }
}
