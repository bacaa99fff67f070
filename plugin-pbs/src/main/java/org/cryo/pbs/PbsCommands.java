package org.cryo.pbs;

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
 * The PBS client commands Cryo runs ({@code qstat}, {@code qhold}, {@code qrls}, {@code qrerun},
 * {@code qsig}, {@code qalter}, {@code pbsnodes}, {@code qmgr}), from the binaries directory of
 * the installation: {@code $PBS_EXEC/bin}, else {@code PBS_EXEC} of {@code $PBS_CONF_FILE} (default
 * {@code /etc/pbs.conf}), else {@code /opt/pbs/bin}.  Nothing is looked up in PATH: the MoM runs
 * Cryo's actions without one, and a contract test points PBS_EXEC at recorded outputs.
 *
 * <p>PBS's clients exit with the PBS error number modulo 256 ({@code exit(pbs_errno)}); every
 * failure becomes one line naming the job ({@link #failure}).
 */
public final class PbsCommands {
    /** A server that does not answer makes a client retry; do not wait longer than this. */
    static final long TIMEOUT_SECONDS = 60;
    /** qhold of a checkpointable running job waits for the MoM's checkpoint_abort action (its time-out). */
    static final long HOLD_TIMEOUT_SECONDS = 900;

    /** PBSE_UNKJOBID 15001 & 0xff: the server has no such job. */
    static final int UNKNOWN_JOB = 153;
    /** PBSE_HISTJOBID 15139 & 0xff: the job has finished. */
    static final int FINISHED = 35;
    /** PBSE_PERM 15007 & 0xff: Unauthorized Request. */
    static final int NOT_PERMITTED = 159;
    /** PBSE_BADSTATE 15016 & 0xff: request invalid for the state of the job (also "checkpoint active"). */
    static final int BAD_STATE = 168;
    /** PBSE_CKPSHORT 15061 & 0xff: the MoM's checkpoint_abort action failed or timed out. */
    static final int CHECKPOINT_FAILED = 213;

    private final Path binaries;
    private final Map<String, String> environment;

    public PbsCommands(Path binaries, Map<String, String> environment) {
        this.binaries = binaries;
        this.environment = Map.copyOf(environment);
    }

    /** The commands of the installation the environment names (see the class comment). */
    public static PbsCommands configured(Map<String, String> environment) {
        return new PbsCommands(execDirectory(environment).resolve("bin"), environment);
    }

    /** PBS_EXEC: the variable, else the line of pbs.conf, else /opt/pbs. */
    static Path execDirectory(Map<String, String> environment) {
        String exec = environment.get("PBS_EXEC");
        if (exec == null || exec.isBlank()) {
            exec = PbsConf.read(Path.of(environment.getOrDefault("PBS_CONF_FILE", "/etc/pbs.conf"))).get("PBS_EXEC");
        }
        return Path.of(exec == null || !exec.startsWith("/") ? "/opt/pbs" : exec.strip());
    }

    public Path binaries() {
        return binaries;
    }

    /** One client call: exit status, stdout and stderr apart (qstat -F json writes its skeleton on stdout even on error). */
    public record Output(int status, String stdout, String stderr) {
        /** The client's message: the last non-empty line of stderr (else stdout), escaped. */
        public String message() {
            String text = stderr.isBlank() ? stdout : stderr;
            String last = "";
            for (String line : text.split("\n")) {
                if (!line.isBlank()) {
                    last = line.strip();
                }
            }
            return SafeText.escape(last.isEmpty() ? "exit status " + status : last);
        }
    }

    /** Runs {@code name} (a client in the binaries directory) with {@code args}, waiting at most {@code timeoutSeconds}. */
    public Output run(long timeoutSeconds, String name, String... args) throws SchedulerException {
        List<String> argv = new ArrayList<>();
        argv.add(binaries.resolve(name).toString());
        argv.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(argv);
        builder.environment().clear();
        builder.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String keep : List.of("PBS_CONF_FILE", "PBS_SERVER", "PBS_EXEC", "HOME", "LANG")) {
            if (environment.containsKey(keep)) {
                builder.environment().put(keep, environment.get(keep));
            }
        }
        try {
            BoundedCommand.Apart out = BoundedCommand.runApart(builder, timeoutSeconds);
            if (out.timedOut()) {
                throw new ServerDown(name + " " + SafeText.escape(String.join(" ", args)) + ": no answer within "
                        + timeoutSeconds + " s (is the PBS server running?)");
            }
            return new Output(out.status(), out.stdout(), out.stderr());
        } catch (IOException e) {
            throw new SchedulerException("cannot run " + argv.get(0) + " (is PBS's client installed? PBS_EXEC or "
                    + "/etc/pbs.conf names its directory): " + SafeText.escape(String.valueOf(e.getMessage())), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchedulerException("interrupted while running " + name, e);
        }
    }

    public Output run(String name, String... args) throws SchedulerException {
        return run(TIMEOUT_SECONDS, name, args);
    }

    /** {@code qstat -fx -F json JOB}: the job's record (-x: a finished job still kept in the history is shown as such). */
    public Output jobJson(String jobId) throws SchedulerException {
        return run("qstat", "-fx", "-F", "json", jobId);
    }

    /** {@code qstat -fx -F json}: every job (and the history the server keeps), for the jobs on a node. */
    public String allJobsJson() throws SchedulerException {
        return ok(run("qstat", "-fx", "-F", "json"), "qstat");
    }

    /** {@code qstat -Bf -F json}: the server's attributes (managers, operators). */
    public String serverJson() throws SchedulerException {
        return ok(run("qstat", "-Bf", "-F", "json"), "qstat -B");
    }

    /** {@code qhold JOB}: on a running checkpointable job the MoM runs its checkpoint_abort action meanwhile. */
    public void hold(String jobId) throws SchedulerException {
        ok(run(HOLD_TIMEOUT_SECONDS, "qhold", jobId), jobId);
    }

    /** {@code qrls JOB}. */
    public void release(String jobId) throws SchedulerException {
        ok(run("qrls", jobId), jobId);
    }

    /** {@code qrerun JOB} (operators only): the job is killed and runs its script again, anywhere. */
    public void rerun(String jobId) throws SchedulerException {
        ok(run(HOLD_TIMEOUT_SECONDS, "qrerun", jobId), jobId);
    }

    /** {@code qsig -s SIGNAL JOB} (suspend, resume: operators only). */
    public void signal(String jobId, String signal) throws SchedulerException {
        ok(run("qsig", "-s", signal, jobId), jobId);
    }

    /** {@code qalter -W ATTRIBUTE=VALUE JOB}. */
    public void alter(String jobId, String attribute, String value) throws SchedulerException {
        ok(run("qalter", "-W", attribute + "=" + value, jobId), jobId);
    }

    /** {@code pbsnodes -o -C COMMENT NODE} (managers only): running jobs stay, no new one starts. */
    public void offline(String node, String comment) throws SchedulerException {
        ok(run("pbsnodes", "-o", "-C", comment, node), "node " + node);
    }

    /** {@code pbsnodes -r NODE}. */
    public void clearOffline(String node) throws SchedulerException {
        ok(run("pbsnodes", "-r", node), "node " + node);
    }

    /** {@code pbsnodes -av -F json}. */
    public String nodesJson() throws SchedulerException {
        return ok(run("pbsnodes", "-av", "-F", "json"), "pbsnodes");
    }

    /** {@code qmgr -c COMMAND} (the settings install-mom-actions makes). */
    public String qmgr(String command) throws SchedulerException {
        return ok(run("qmgr", "-c", command), "qmgr");
    }

    /** The output of a call that succeeded, else its failure as one line about {@code what}. */
    static String ok(Output out, String what) throws SchedulerException {
        if (out.status() == 0) {
            return out.stdout();
        }
        throw failure(out, what);
    }

    /** A failed client call as one line: the PBS error (status = error number mod 256) in Cryo's words, and PBS's own. */
    static SchedulerException failure(Output out, String what) {
        String pbs = out.message();
        return switch (out.status()) {
            case UNKNOWN_JOB -> new UnknownJob("unknown job " + what + " (PBS: " + pbs + ")");
            case FINISHED -> new Finished("job " + what + " has finished (PBS: " + pbs + ")");
            case NOT_PERMITTED -> new SchedulerException("permission denied by PBS for " + what + " (PBS: " + pbs
                    + "; qrerun, qsig -s suspend/resume and pbsnodes -o need a PBS manager or operator)");
            case BAD_STATE -> new BadState("PBS refused the request for the state of " + what + " (PBS: "
                    + pbs + ")");
            case CHECKPOINT_FAILED -> new SchedulerException("the MoM's checkpoint_abort action failed for " + what
                    + "; the job runs on (PBS: " + pbs + ")");
            default -> new SchedulerException("PBS: " + pbs + " (" + what + ", exit status " + out.status() + ")");
        };
    }

    /** The request does not fit the job's state (suspending a job still starting; MoM: "checkpoint active"). */
    public static final class BadState extends SchedulerException {
        private static final long serialVersionUID = 1L;

        BadState(String message) {
            super(message);
        }
    }

    /** The server has no job of that id. */
    public static final class UnknownJob extends SchedulerException {
        private static final long serialVersionUID = 1L;

        UnknownJob(String message) {
            super(message);
        }
    }

    /** The job has finished (and the server keeps no history of it, or the request needs a live job). */
    public static final class Finished extends SchedulerException {
        private static final long serialVersionUID = 1L;

        Finished(String message) {
            super(message);
        }
    }

    /** The server did not answer: nothing was done. */
    public static final class ServerDown extends SchedulerException {
        private static final long serialVersionUID = 1L;

        ServerDown(String message) {
            super(message);
        }
    }

    /** The lines KEY=VALUE of pbs.conf (missing or unreadable: none). */
    static final class PbsConf {
        private PbsConf() {
        }

        static Map<String, String> read(Path file) {
            Map<String, String> values = new java.util.HashMap<>();
            try {
                for (String line : Files.readAllLines(file)) {
                    int eq = line.indexOf('=');
                    if (!line.startsWith("#") && eq > 0) {
                        values.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
                    }
                }
            } catch (IOException e) {
                // no installation here: the default directory
            }
            return values;
        }
    }
}
