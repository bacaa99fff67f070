package org.cryo.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import sun.misc.Signal;

/**
 * cr_restart passes the signals it gets on to its helper ({@code cryo-engine restore}), which
 * stops a restart still building or passes them on to the restarted process, as BLCR's
 * cr_restart did.  A signal the JVM keeps for itself (SIGQUIT, for thread dumps) reaches the
 * helper only when sent to it or to the process group.  In the foreground of a terminal,
 * SIGINT, SIGQUIT and SIGHUP come from the terminal to the whole process group, the helper and
 * the restarted process included: passing them on again would deliver them twice.
 */
final class SignalRelay {
    static final List<String> SIGNALS = List.of("INT", "TERM", "HUP", "QUIT", "USR1", "USR2");
    private static final List<String> FROM_TERMINAL = List.of("INT", "QUIT", "HUP");

    private SignalRelay() {
    }

    /** Relays to {@code pid} from now on; returns the signals relayed. */
    static List<String> install(long pid) {
        List<String> installed = new ArrayList<>();
        for (String name : SIGNALS) {
            try {
                Signal.handle(new Signal(name), signal -> relay(name, pid));
                installed.add(name);
            } catch (IllegalArgumentException keptByTheJvm) {
                // SIGQUIT: the JVM's own; the helper gets it from the group, or directly
            }
        }
        return installed;
    }

    private static void relay(String name, long pid) {
        if (FROM_TERMINAL.contains(name) && inTerminalForeground()) {
            return;
        }
        try {
            new ProcessBuilder("kill", "-s", name, Long.toString(pid))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException | InterruptedException e) {
            // the helper is gone: nothing to pass on to
        }
    }

    /** /proc/self/stat: is this process group the foreground group of a terminal (pgrp == tpgid)? */
    private static boolean inTerminalForeground() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(f[5]) > 0 && f[2].equals(f[5]);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
