package org.cryo.health;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the monitors have to say that is not a reading: a source that is missing (said once), a
 * file holding garbage, a file that vanished, a counter that went backwards.  None of them is an
 * error: the monitor carries on without that value.  Each distinct notice is said once, so a
 * node without InfiniBand does not repeat so every poll.
 */
public final class Notices {
    private final Set<String> said = ConcurrentHashMap.newKeySet();
    private final List<String> recent = java.util.Collections.synchronizedList(new ArrayList<>());
    private final PrintStream out;

    public Notices(PrintStream out) {
        this.out = out;
    }

    /** A notice that is said once per run of the program (the same key again is silent). */
    public void once(String key, String message) {
        if (said.add(key)) {
            say(message);
        }
    }

    /** A notice about one value in one poll (garbage, vanished, reset): said once per distinct message. */
    public void value(String message) {
        once(message, message);
    }

    private void say(String message) {
        String line = org.cryo.api.SafeText.escape(message);
        recent.add(line);
        synchronized (recent) {
            while (recent.size() > 100) {
                recent.remove(0);
            }
        }
        if (out != null) {
            out.println("cryo health: " + line);
        }
    }

    /** The last notices (for the agent's API and tests). */
    public List<String> recent() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }
}
