package org.cryo.health.monitor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cryo.health.Notices;
import org.cryo.health.Reading;
import org.cryo.health.Signal;

/**
 * NVIDIA XID events, as the driver logs them to the kernel log: {@code /dev/kmsg} records
 * ({@code PRIORITY,SEQUENCE,TIMESTAMP,FLAGS;MESSAGE}, Documentation/ABI/testing/dev-kmsg) whose
 * message is {@code NVRM: Xid (PCI:0000:3b:00): 79, pid=..., GPU has fallen off the bus.}.  The
 * XIDs that say the GPU (not the application) is failing are counted per XID, each as a counter
 * of the level it means ({@link #LEVELS}; the reasons in docs/HEALTH.md), every one of them from
 * the first poll (a series first seen with a count is a baseline, not a rise), and each event is
 * a notice naming its GPU; the others
 * (an application's own faults: 13, 31, 43 ...) are not the node's and are ignored.  Each record
 * is counted once, by its sequence number, so the counters only rise while the agent runs; what
 * the log held before the first poll is the baseline, as for every counter.  The node's
 * {@code /dev/kmsg} is a character device that blocks at its end: a daemon thread reads it; a
 * regular file there (a fixture tree) is read whole at each poll.
 */
public final class XidMonitor implements HealthMonitor {
    static final String KMSG = "/dev/kmsg";
    /** XID -> the signal (level) it counts as. */
    static final Map<Integer, Signal> LEVELS = Map.of(
            48, Signal.GPU_XID_EVACUATE,   // double-bit ECC error
            63, Signal.GPU_XID_WARN,       // ECC page retirement / row remapping recorded
            64, Signal.GPU_XID_EVACUATE,   // ECC page retirement / row remapping failed
            74, Signal.GPU_XID_EVACUATE,   // NVLink error
            79, Signal.GPU_XID_FAIL,       // GPU has fallen off the bus
            92, Signal.GPU_XID_WARN,       // high single-bit ECC error rate
            94, Signal.GPU_XID_EVACUATE,   // contained ECC error
            95, Signal.GPU_XID_FAIL);      // uncontained ECC error
    private static final Pattern RECORD = Pattern.compile("(\\d{1,3}),(\\d{1,19}),(\\d{1,20}),[^;]{0,16};(.*)");
    private static final Pattern XID = Pattern.compile("NVRM: Xid \\((PCI:[0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}(?:\\.[0-7])?)\\): (\\d{1,4}),.*");
    /** A fixture file larger than this is not read (the kernel's ring buffer is a few MB at most). */
    private static final long MAX_FILE = 16L << 20;
    /** A /dev/kmsg read returns one record; a record is at most about 8 KB (LOG_LINE_MAX and the dictionary). */
    private static final int MAX_RECORD = 16 * 1024;

    private final Map<Integer, Long> counts = new TreeMap<>();
    private final ConcurrentLinkedQueue<String> fromDevice = new ConcurrentLinkedQueue<>();
    private long lastSequence = -1;
    private Thread reader;

    @Override
    public String name() {
        return "nvidia-xid";
    }

    @Override
    public String where() {
        return KMSG + " (NVRM: Xid records)";
    }

    @Override
    public boolean present(SysfsTree tree) {
        return Files.exists(tree.path(KMSG));
    }

    @Override
    public synchronized List<Reading> read(SysfsTree tree) {
        Path kmsg = tree.path(KMSG);
        if (Files.isRegularFile(kmsg, LinkOption.NOFOLLOW_LINKS)) {
            recordsOfFile(tree, kmsg).forEach(line -> take(tree.notices(), line));
        } else {
            startReader(tree, kmsg);
            for (String line = fromDevice.poll(); line != null; line = fromDevice.poll()) {
                take(tree.notices(), line);
            }
        }
        List<Reading> readings = new ArrayList<>();
        for (int code : new java.util.TreeSet<>(LEVELS.keySet())) {
            readings.add(Reading.counter(LEVELS.get(code), "nvidia xid " + code, counts.getOrDefault(code, 0L)));
        }
        return readings;
    }

    /** One record: counted if it is an XID of the list and newer than any counted before. */
    private void take(Notices notices, String line) {
        if (line.isEmpty() || line.startsWith(" ")) {
            return;   // a record's dictionary continuation (" SUBSYSTEM=pci")
        }
        Matcher record = RECORD.matcher(line);
        if (!record.matches()) {
            notices.value(name() + ": not a /dev/kmsg record: '" + shorten(line) + "'; ignored");
            return;
        }
        long sequence;
        try {
            sequence = Long.parseLong(record.group(2));
        } catch (NumberFormatException e) {
            notices.value(name() + ": sequence out of range: '" + shorten(line) + "'; ignored");
            return;
        }
        if (sequence <= lastSequence) {
            return;   // counted at an earlier poll
        }
        lastSequence = sequence;
        Matcher xid = XID.matcher(record.group(4));
        if (!xid.matches()) {
            return;   // not an XID: most of the kernel log
        }
        int code = Integer.parseInt(xid.group(2));
        if (LEVELS.containsKey(code)) {
            counts.merge(code, 1L, Long::sum);
            notices.value(name() + ": " + shorten(record.group(4)));
        }
    }

    /** A fixture's records, bounded; a file that vanished or cannot be read is a notice. */
    private List<String> recordsOfFile(SysfsTree tree, Path file) {
        try {
            if (Files.size(file) > MAX_FILE) {
                tree.notices().value(tree.describe(file) + ": larger than " + MAX_FILE + " bytes; ignored");
                return List.of();
            }
            return List.of(new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\n"));
        } catch (IOException e) {
            tree.notices().value(tree.describe(file) + ": cannot be read (" + e.getMessage() + "); ignored this poll");
            return List.of();
        }
    }

    /**
     * The daemon thread that follows the device: each read is one record; EPIPE ("Broken pipe")
     * says records were overwritten before they were read, and reading goes on from the oldest
     * one left.  Anything else ends it with a notice (the next poll starts it again).
     */
    private void startReader(SysfsTree tree, Path device) {
        if (reader != null && reader.isAlive()) {
            return;
        }
        reader = new Thread(() -> follow(tree, device), "cryo-health-kmsg");
        reader.setDaemon(true);
        reader.start();
    }

    private void follow(SysfsTree tree, Path device) {
        byte[] buffer = new byte[MAX_RECORD];
        try (InputStream in = Files.newInputStream(device)) {
            while (true) {
                int n;
                try {
                    n = in.read(buffer);
                } catch (IOException e) {
                    if (String.valueOf(e.getMessage()).contains("Broken pipe")) {
                        continue;
                    }
                    throw e;
                }
                if (n < 0) {
                    return;
                }
                for (String line : new String(buffer, 0, n, StandardCharsets.UTF_8).split("\n")) {
                    fromDevice.add(line);
                }
                while (fromDevice.size() > 100_000) {
                    fromDevice.poll();   // no poll for a long time: the oldest go (a sequence gap, no false count)
                }
            }
        } catch (IOException e) {
            tree.notices().value(name() + ": " + KMSG + " cannot be read (" + e.getMessage() + "); not monitored until the next poll");
        }
    }

    private static String shorten(String text) {
        return text.length() > 120 ? text.substring(0, 120) + "..." : text;
    }
}
