package org.cryo.scheduler;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.Properties;

/**
 * The process cr_run runs for a batch job, as it records it in the job's catalog directory so
 * that a checkpoint requested from anywhere finds it: PID, node, and which run of the job.
 * The job's user can write this file, so to a privileged reader it is a claim: the adapter
 * proves the PID belongs to the job before acting on it ({@link SchedulerAdapter#proveMembership}),
 * and the node must be one of the scheduler's nodes of the job.
 *
 * @param pid          the checkpointable process
 * @param node         the node's host name
 * @param run          the run of the job the process belongs to ({@link JobRun#id()})
 * @param restored     whether it was restarted from a context file rather than started afresh
 */
public record JobProcess(long pid, String node, String run, boolean restored) {

    /** The record as a properties file (what {@link JobDirectory#recordProcess} writes). */
    String toText() {
        Properties properties = new Properties();
        properties.setProperty("pid", Long.toString(pid));
        properties.setProperty("node", node);
        properties.setProperty("run", run);
        properties.setProperty("restored", Boolean.toString(restored));
        StringWriter text = new StringWriter();
        try {
            properties.store(text, "written by cr_run");
        } catch (IOException e) {
            throw new IllegalStateException(e);   // a StringWriter does not fail
        }
        return text.toString();
    }

    /** Parses a record read from {@code file} (named in messages only). */
    static JobProcess parse(String text, String file) throws IOException {
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(text));
            long pid = Long.parseLong(properties.getProperty("pid", "").strip());
            String node = properties.getProperty("node");
            if (pid <= 0 || pid > 4_194_304 || node == null || node.isBlank()) {
                throw new IllegalArgumentException("pid or node");
            }
            String run = properties.getProperty("run", "").strip();
            return new JobProcess(pid, node, new JobRun(run, JobRun.Start.UNKNOWN).id(),
                    Boolean.parseBoolean(properties.getProperty("restored")));
        } catch (IllegalArgumentException e) {   // NumberFormatException, a malformed \\u escape, a bad run id
            throw new IOException(file + ": not a process record", e);
        }
    }
}
