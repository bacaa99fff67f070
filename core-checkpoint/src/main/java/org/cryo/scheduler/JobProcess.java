package org.cryo.scheduler;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * The process cr_run runs for a batch job, as it records it in the job's catalog directory so
 * that a checkpoint requested from anywhere finds it: PID, node, and which run of the job.
 *
 * @param pid          the checkpointable process
 * @param node         the node's host name
 * @param restartCount the job's restart count when the process started
 * @param restored     whether it was restarted from a context file rather than started afresh
 */
public record JobProcess(long pid, String node, int restartCount, boolean restored) {

    /** Writes the record atomically (temp file, rename), so a reader never sees half of it. */
    public void writeTo(Path file) throws IOException {
        Properties properties = new Properties();
        properties.setProperty("pid", Long.toString(pid));
        properties.setProperty("node", node);
        properties.setProperty("restartCount", Integer.toString(restartCount));
        properties.setProperty("restored", Boolean.toString(restored));
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer writer = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
            properties.store(writer, "written by cr_run");
        }
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static JobProcess readFrom(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        try {
            return new JobProcess(Long.parseLong(properties.getProperty("pid")), properties.getProperty("node"),
                    Integer.parseInt(properties.getProperty("restartCount", "0")),
                    Boolean.parseBoolean(properties.getProperty("restored")));
        } catch (NumberFormatException | NullPointerException e) {
            throw new IOException(file + ": not a process record", e);
        }
    }
}
