package org.cryo.sge;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Cryo's checkpointing environment, as {@code qconf -sckpt NAME} shows one.  Its interface is
 * {@code application-level}: the only one whose commands Grid Engine 8.1.9 runs (the execd calls
 * ckpt_command every queue min_cpu_interval under {@code when m}, migr_command at {@code qmod -sj},
 * a queue or threshold suspension ({@code x}) and an execd shutdown ({@code s}), clean_command when
 * the job has ended; restart_command never: the job script runs again with RESTARTED=2 and its
 * cr_run restarts from the latest context).  The commands run on the job's host as the job's
 * owner, with the job's environment, through {@code sh -c}, and call the core's entry points
 * ({@code cryo job checkpoint|migrate|clean}).  Grid Engine waits for a migrated job to leave
 * by itself, so migr_command first stops the job script ({@code $job_pid}, its process group's
 * leader: it must not go on to the lines after cr_run once the work is gone), and after the
 * checkpoint ends its process group, whatever the checkpoint did: a job Grid Engine migrates
 * must leave, or Grid Engine runs it again once it has ended by itself (from the top: the
 * work twice).  So a failed checkpoint means a rerun from the latest earlier context, if any.
 * This is also how an outbound vacate ends ({@link SgeAdapter#requeue}: {@code qmod -sj} after
 * the core's checkpoint).  Never {@code $sge_root} in a command: the shepherd dies, the queue errs.
 */
public record CheckpointEnvironment(String name, String cryo, String when, String checkpointDir) {
    /** {@code when} letters Grid Engine knows: s shutdown, m periodic, x suspension, r reschedule; n never. */
    private static final Pattern WHEN = Pattern.compile("n|[smxr]{1,4}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,63}");
    /** How the commands name Cryo's Grid Engine adapter to {@code cryo job}. */
    static final String SCHEDULER = "--scheduler " + SgeAdapterProvider.NAME;

    public CheckpointEnvironment {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid checkpointing environment name '" + name + "'");
        }
        if (!WHEN.matcher(when).matches() || when.chars().distinct().count() != when.length()) {
            throw new IllegalArgumentException("invalid --when '" + when + "': letters of s (execd shutdown), m (every"
                    + " queue min_cpu_interval), x (job or queue suspension), r (reschedule), or n");
        }
        if (!checkpointDir.equals("NONE") && !checkpointDir.startsWith("/")) {
            throw new IllegalArgumentException("--ckpt-dir must be an absolute path, not '" + checkpointDir + "'");
        }
        if (cryo.matches(".*\\s.*")) {
            throw new IllegalArgumentException("the cryo command's path may not contain blanks: '" + cryo + "'");
        }
    }

    /** The attributes as Grid Engine holds them, in qconf's order. */
    public Map<String, String> attributes() {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("ckpt_name", name);
        a.put("interface", "application-level");
        a.put("ckpt_command", cryo + " job checkpoint " + SCHEDULER + " $job_id");
        a.put("migr_command", "/bin/kill -STOP $job_pid; " + cryo + " job migrate " + SCHEDULER
                + " $job_id; /bin/kill -KILL -- -$job_pid");
        a.put("restart_command", "NONE");
        a.put("clean_command", cryo + " job clean " + SCHEDULER + " --keep 0 $job_id");
        a.put("ckpt_dir", checkpointDir);
        a.put("signal", "none");
        a.put("when", when);
        return a;
    }

    /** The file {@code qconf -Ackpt}/{@code -Mckpt} reads. */
    public String text() {
        StringBuilder text = new StringBuilder();
        attributes().forEach((key, value) -> text.append(key).append(' ').append(value).append('\n'));
        return text.toString();
    }

    /** {@code qconf -sckpt} output as attributes: continuation lines joined, blanks squeezed. */
    public static Map<String, String> parse(String qconfOutput) {
        Map<String, String> a = new LinkedHashMap<>();
        for (String line : qconfOutput.replace("\\\n", " ").split("\n")) {
            String[] fields = line.strip().split("\\s+", 2);
            if (!fields[0].isEmpty()) {
                a.put(fields[0], fields.length > 1 ? fields[1].strip().replaceAll("\\s+", " ") : "");
            }
        }
        return a;
    }

    /** Grid Engine keeps the when letters in an order of its own ("sxm" comes back as "xsm"). */
    private static String letters(String when) {
        return when.chars().sorted().collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
    }

    /** "when: 'xsmr' -> 'sxm'" for each attribute that differs from {@code current}. */
    public List<String> differences(Map<String, String> current) {
        List<String> changes = new ArrayList<>();
        attributes().forEach((key, value) -> {
            String old = current.get(key);
            boolean same = key.equals("when") ? old != null && letters(old).equals(letters(value)) : Objects.equals(old, value);
            if (!same) {
                changes.add(key + ": '" + (old == null ? "" : old) + "' -> '" + value + "'");
            }
        });
        return changes;
    }
}
