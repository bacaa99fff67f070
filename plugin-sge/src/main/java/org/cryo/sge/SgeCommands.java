package org.cryo.sge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cryo.api.BoundedCommand;
import org.cryo.api.SafeText;
import org.cryo.scheduler.SchedulerException;

/**
 * Grid Engine's command-line clients, where DRMAA cannot act: {@code qstat -xml} (job state and
 * the job's record), {@code qconf} (checkpointing environments, queues, managers, operators),
 * {@code qmod} (migrate, suspend, disable a queue instance), {@code qhold}/{@code qrls}.  Every
 * failure is one line naming the command; a qmaster that does not answer says so.
 *
 * <p>Grid Engine's clients exit 0 for several refusals ({@code qmod -sj} of a pending job,
 * {@code qmod -rj} of a job that is not restartable), so the callers check the text as well.
 */
public final class SgeCommands {
    /** A qmaster that is down makes every client retry for a while; do not wait longer than this. */
    private static final long TIMEOUT_SECONDS = 60;

    private final Map<String, String> environment;

    public SgeCommands(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /** The result of one client call: exit status and stdout+stderr. */
    public record Output(int status, String text) {
        String oneLine() {
            String[] lines = text.strip().split("\n");
            return SafeText.escape(lines[lines.length - 1].strip());
        }
    }

    /** {@code qstat -xml -u *}: every job with its state and queue instance. */
    public String jobListXml() throws SchedulerException {
        return ok(run("qstat", "-xml", "-u", "*"));
    }

    /** {@code qstat -j JOB -xml}: the job's full record; empty if qmaster does not know the job. */
    public java.util.Optional<String> jobXml(String jobId) throws SchedulerException {
        Output out = run("qstat", "-j", jobId, "-xml");
        if (out.text().contains("<unknown_jobs") || out.text().contains("Following jobs do not exist")) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(ok(out));
    }

    /**
     * The parallel environment a job runs in ({@code JB_pe} of {@code qstat -j JOB -xml}), if any.
     */
    public java.util.Optional<String> parallelEnvironmentOf(String jobId) throws SchedulerException {
        java.util.Optional<String> xml = jobXml(jobId);
        if (xml.isEmpty()) {
            return java.util.Optional.empty();
        }
        java.util.regex.Matcher pe = java.util.regex.Pattern.compile("<JB_pe>([A-Za-z0-9_.-]{1,64})</JB_pe>").matcher(xml.get());
        return pe.find() ? java.util.Optional.of(pe.group(1)) : java.util.Optional.empty();
    }

    /** Does parallel environment {@code pe} let a job's processes start tasks on its hosts ({@code control_slaves TRUE})? */
    public boolean controlsSlaves(String pe) throws SchedulerException {
        Output out = run("qconf", "-sp", pe);
        return out.status() == 0 && out.text().lines().map(String::strip)
                .anyMatch(line -> line.matches("control_slaves\\s+(TRUE|true)"));
    }

    /** {@code qconf -sckpt NAME}: the environment's lines, empty if there is none of that name. */
    public java.util.Optional<String> checkpointEnvironment(String name) throws SchedulerException {
        Output out = run("qconf", "-sckpt", name);
        if (out.status() != 0 && out.text().contains("is not a checkpointing interface definition")) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(ok(out));
    }

    /** {@code qconf -sckptl}: the names of the checkpointing environments. */
    public List<String> checkpointEnvironments() throws SchedulerException {
        return words(run("qconf", "-sckptl"));
    }

    /** {@code qconf -Ackpt FILE} (add) or {@code -Mckpt FILE} (modify). */
    public void writeCheckpointEnvironment(String text, boolean add) throws SchedulerException {
        withFile(text, file -> ok(run("qconf", add ? "-Ackpt" : "-Mckpt", file.toString())));
    }

    /** {@code qconf -sql}: the cluster queues. */
    public List<String> queues() throws SchedulerException {
        return words(run("qconf", "-sql"));
    }

    /** One attribute of a cluster queue ({@code qconf -sq QUEUE}), continuation lines joined. */
    public String queueAttribute(String queue, String attribute) throws SchedulerException {
        String text = ok(run("qconf", "-sq", queue)).replace("\\\n", " ");
        for (String line : text.split("\n")) {
            String[] fields = line.strip().split("\\s+", 2);
            if (fields[0].equals(attribute)) {
                return fields.length > 1 ? fields[1].strip().replaceAll("\\s+", " ") : "";
            }
        }
        throw new SchedulerException("qconf -sq " + queue + ": no attribute " + attribute);
    }

    /** {@code qconf -aattr queue ATTRIBUTE VALUE QUEUE}: adds VALUE to a list attribute. */
    public void addToQueueList(String queue, String attribute, String value) throws SchedulerException {
        ok(run("qconf", "-aattr", "queue", attribute, value, queue));
    }

    /** {@code qconf -sm} / {@code -so}: managers and operators. */
    public List<String> managers() throws SchedulerException {
        return words(run("qconf", "-sm"));
    }

    public List<String> operators() throws SchedulerException {
        return words(run("qconf", "-so"));
    }

    /** {@code qmod -sj JOB}: for a job with an application-level environment, Grid Engine calls its migr_command. */
    public void suspendJob(String jobId) throws SchedulerException {
        refusedDespiteStatus(ok(run("qmod", "-sj", jobId)), "qmod -sj " + jobId);
    }

    public void unsuspendJob(String jobId) throws SchedulerException {
        refusedDespiteStatus(ok(run("qmod", "-usj", jobId)), "qmod -usj " + jobId);
    }

    /** {@code qhold JOB} / {@code qrls JOB} (user hold). */
    public void hold(String jobId) throws SchedulerException {
        ok(run("qhold", jobId));
    }

    public void release(String jobId) throws SchedulerException {
        ok(run("qrls", jobId));
    }

    /** {@code qmod -d QUEUE@HOST} for every queue: no new jobs there (running ones stay). */
    /** {@code qstat -f -q *@HOST -xml}: the host's queue instances, their slots and state letters. */
    public String queueInstancesXml(String host) throws SchedulerException {
        return ok(run("qstat", "-f", "-q", "*@" + host, "-xml"));
    }

    public void disableHost(String host) throws SchedulerException {
        ok(run("qmod", "-d", "*@" + host));
    }

    public void enableHost(String host) throws SchedulerException {
        ok(run("qmod", "-e", "*@" + host));
    }

    /** Runs a Grid Engine client with the cell's environment; a client that cannot be started is one line. */
    public Output run(String... command) throws SchedulerException {
        ProcessBuilder builder = new ProcessBuilder(command);
        for (String name : List.of("SGE_ROOT", "SGE_CELL", "SGE_QMASTER_PORT", "PATH")) {
            if (environment.containsKey(name)) {
                builder.environment().put(name, environment.get(name));
            }
        }
        try {
            BoundedCommand.Result result = BoundedCommand.run(builder, TIMEOUT_SECONDS);
            if (result.timedOut()) {
                throw new SchedulerException(String.join(" ", command) + ": no answer within " + TIMEOUT_SECONDS
                        + " s (is sge_qmaster running?)");
            }
            return new Output(result.status(), result.output());
        } catch (IOException e) {
            throw new SchedulerException("cannot run " + command[0] + " (is Grid Engine's client installed?): "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted while running " + command[0], e);
        }
    }

    /** The output of a call that succeeded; otherwise its last line, with qmaster being down named as such. */
    static String checked(Output out) throws SchedulerException {
        return ok(out);
    }

    private static String ok(Output out) throws SchedulerException {
        String text = out.text();
        if (text.contains("<comunication_error")) {   // qstat -xml: exit status 0, Grid Engine's spelling
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("<AN_text>([^<]*)</AN_text>").matcher(text);
            throw new QmasterDown("Grid Engine's qmaster does not answer: "
                    + SafeText.escape(m.find() ? m.group(1).replace("&quot;", "\"") : "communication error"));
        }
        if (out.status() == 0) {
            return text;
        }
        String line = out.oneLine();
        if (text.contains("unable to contact qmaster") || text.contains("unable to send message to qmaster")
                || text.contains("commlib error")) {
            throw new QmasterDown("Grid Engine's qmaster does not answer: " + line);
        }
        throw new SchedulerException(line);
    }

    /** qmod prints some refusals with exit status 0 ("... can not be applied ...", "... is not restartable"). */
    private static void refusedDespiteStatus(String text, String what) throws SchedulerException {
        for (String line : text.strip().split("\n")) {
            String l = line.toLowerCase(java.util.Locale.ROOT);
            if (l.contains("can not") || l.contains("cannot") || l.contains("not restartable") || l.contains("denied")
                    || l.contains("does not exist") || l.contains("invalid")) {
                throw new SchedulerException(what + ": " + SafeText.escape(line.strip()));
            }
        }
    }

    /** A listing's words; qconf answers an empty list with "no ... defined" and status 1. */
    private static List<String> words(Output out) throws SchedulerException {
        if (out.status() != 0 && out.text().strip().matches("(?s)no .* defined")) {
            return List.of();
        }
        List<String> words = new ArrayList<>();
        for (String word : ok(out).strip().split("\\s+")) {
            if (!word.isEmpty()) {
                words.add(word);
            }
        }
        return words;
    }

    @FunctionalInterface
    private interface FileAction {
        void apply(Path file) throws SchedulerException;
    }

    private static void withFile(String text, FileAction action) throws SchedulerException {
        Path file;
        try {
            file = Files.createTempFile("cryo-sge-", ".conf");
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new SchedulerException("cannot write a temporary file for qconf: " + e.getMessage(), e);
        }
        try {
            action.apply(file);
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temporary file in /tmp
            }
        }
    }

    /** The qmaster does not answer: nothing was done. */
    public static final class QmasterDown extends SchedulerException {
        private static final long serialVersionUID = 1L;

        QmasterDown(String message) {
            super(message);
        }
    }
}
