package org.cryo.sge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cryo.scheduler.SchedulerException;

/**
 * Cryo's health on Grid Engine, with Grid Engine's own mechanism: the {@code cryo_health} complex
 * (INT, relop {@code >=}, not requestable), Cryo's load sensor in the global {@code load_sensor}
 * list (each execd then reports its host's level every {@code load_report_time}), and the queues'
 * {@code suspend_thresholds cryo_health=LEVEL}: when a host's level reaches it, Grid Engine
 * suspends the queue instance, and a job submitted with Cryo's checkpointing environment
 * ({@code -ckpt cryo}, {@code when} with {@code x}) is migrated (its migr_command checkpoints it,
 * Grid Engine runs it on another host, cr_run restarts it).  Idempotent: prints each change.
 */
public final class HealthLoadSensorInstaller {
    public static final String COMPLEX = "cryo_health";

    private final SgeCommands qconf;

    public HealthLoadSensorInstaller(SgeCommands qconf) {
        this.qconf = qconf;
    }

    public List<String> install(String sensor, int threshold, List<String> queues, String suspendInterval)
            throws SchedulerException {
        List<String> changes = new ArrayList<>();
        addComplex(changes);
        addSensor(sensor, changes);
        for (String queue : queues.isEmpty() ? qconf.queues() : queues) {
            setThreshold(queue, threshold, changes);
            if (suspendInterval != null && !qconf.queueAttribute(queue, "suspend_interval").equals(suspendInterval)) {
                SgeCommands.checked(qconf.run("qconf", "-rattr", "queue", "suspend_interval", suspendInterval, queue));
                changes.add("queue " + queue + ": suspend_interval " + suspendInterval);
            }
        }
        return changes;
    }

    private void addComplex(List<String> changes) throws SchedulerException {
        String complexes = SgeCommands.checked(qconf.run("qconf", "-sc"));
        boolean present = complexes.lines().anyMatch(l -> l.strip().split("\\s+")[0].equals(COMPLEX));
        if (!present) {
            String text = complexes.strip() + "\n" + COMPLEX + " " + COMPLEX + " INT >= NO NO 0 0\n";
            withFile("complex", text, file -> SgeCommands.checked(qconf.run("qconf", "-Mc", file.toString())));
            changes.add("complex " + COMPLEX + ": added (INT, >=, not requestable)");
        }
    }

    /** Appends the sensor to the global load_sensor list (a comma-separated list; "none" when empty). */
    private void addSensor(String sensor, List<String> changes) throws SchedulerException {
        String global = joined(SgeCommands.checked(qconf.run("qconf", "-sconf", "global")));
        List<String> lines = new ArrayList<>(Arrays.asList(global.split("\n")));
        int index = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().startsWith("load_sensor ")) {
                index = i;
            }
        }
        String current = index < 0 ? "none" : lines.get(index).strip().substring("load_sensor".length()).strip();
        List<String> sensors = new ArrayList<>();
        for (String s : current.split("\\s*,\\s*")) {
            if (!s.isBlank() && !s.equalsIgnoreCase("none")) {
                sensors.add(s.strip());
            }
        }
        if (sensors.contains(sensor)) {
            return;
        }
        sensors.add(sensor);
        String line = "load_sensor " + String.join(",", sensors);
        if (index < 0) {
            lines.add(line);
        } else {
            lines.set(index, line);
        }
        // first line of -sconf is "#global:" (a comment): qconf -Mconf names the configuration by the file's name
        withFile("global", String.join("\n", lines) + "\n",
                file -> SgeCommands.checked(qconf.run("qconf", "-Mconf", file.toString())));
        changes.add("global configuration: load_sensor " + String.join(",", sensors));
    }

    private void setThreshold(String queue, int threshold, List<String> changes) throws SchedulerException {
        String current = qconf.queueAttribute(queue, "suspend_thresholds").strip();
        String wanted = COMPLEX + "=" + threshold;
        List<String> others = new ArrayList<>();
        for (String t : current.split("\\s*,\\s*")) {
            if (!t.isBlank() && !t.equalsIgnoreCase("NONE") && !t.startsWith(COMPLEX + "=")) {
                others.add(t);
            }
        }
        if (Arrays.asList(current.split("\\s*,\\s*")).contains(wanted)) {
            return;
        }
        others.add(wanted);
        SgeCommands.checked(qconf.run("qconf", "-rattr", "queue", "suspend_thresholds", String.join(",", others), queue));
        changes.add("queue " + queue + ": suspend_thresholds " + String.join(",", others));
    }

    /**
     * qconf's listing with its continuation lines joined: a long value (a load_sensor list) is shown
     * as "VALUE,\\" and the rest indented on the next line, and written back so it would be a new attribute.
     */
    public static String joined(String listing) {
        return listing.replaceAll("\\\\\n[ \t]*", "");
    }

    @FunctionalInterface
    private interface FileAction {
        void apply(Path file) throws SchedulerException;
    }

    private static void withFile(String name, String text, FileAction action) throws SchedulerException {
        Path dir;
        try {
            dir = Files.createTempDirectory("cryo-sge-");
            Files.writeString(dir.resolve(name), text);
        } catch (IOException e) {
            throw new SchedulerException("cannot write a temporary file for qconf: " + e.getMessage(), e);
        }
        try {
            action.apply(dir.resolve(name));
        } finally {
            try {
                Files.deleteIfExists(dir.resolve(name));
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // a temporary directory in /tmp
            }
        }
    }
}
