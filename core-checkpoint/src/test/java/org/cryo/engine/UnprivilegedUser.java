package org.cryo.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;

/** The unprivileged user {@code cryotest} some fault tests act as (created if missing; tests run as root). */
final class UnprivilegedUser {
    static final String NAME = "cryotest";

    private UnprivilegedUser() {
    }

    /** Creates the user if missing and returns its uid. */
    static synchronized int ensure() throws Exception {
        var id = CheckpointHarness.run(List.of("id", "-u", NAME), Duration.ofSeconds(10));
        if (id.status() != 0) {
            var add = CheckpointHarness.run(List.of("useradd", "-M", "-s", "/usr/sbin/nologin", NAME),
                    Duration.ofSeconds(30));
            assertEquals(0, add.status(), "useradd " + NAME + ": " + add.describe());
            id = CheckpointHarness.run(List.of("id", "-u", NAME), Duration.ofSeconds(10));
        }
        assertEquals(0, id.status(), id.describe());
        return Integer.parseInt(id.out().get(0).trim());
    }

    /** The command prefix that runs the rest as {@code cryotest}. */
    static List<String> as(String... command) {
        List<String> full = new java.util.ArrayList<>(List.of("runuser", "-u", NAME, "--"));
        full.addAll(List.of(command));
        return full;
    }
}
