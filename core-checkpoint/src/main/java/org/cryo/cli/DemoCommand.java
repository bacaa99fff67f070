package org.cryo.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cryo.api.CheckpointException;
import org.cryo.api.CheckpointOptions;
import org.cryo.api.CheckpointResult;
import org.cryo.api.Checkpointer;
import org.cryo.api.EndAction;
import org.cryo.api.RestartOptions;
import org.cryo.engine.CryoHome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * cryo demo: a counter is checkpointed, killed and restarted, and visibly carries on where it was.
 *
 * <p>The counter is started through a shell that exits at once, so it is not a child of this
 * JVM: the JVM's process reaper would otherwise wait on it and steal the ptrace stops that the
 * in-process engine waits for.  It writes to a log file that the demo follows, because a pipe
 * to the JVM would close with the shell.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, version = CryoCommand.VERSION, usageHelpWidth = 100,
       
        headerHeading = "NAME%n", header = "  cryo demo - checkpoint, kill and restart a running computation",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Starts a counter that prints a step every 200 ms, checkpoints it after about two",
            "  seconds and kills it, then restarts it from the context file: the count carries",
            "  on from the checkpointed step, not from 1.",
        },
        optionListHeading = "%nOPTIONS%n",
        exitCodeListHeading = "%nEXIT STATUS%n",
        exitCodeList = {"0:the restarted counter carried on and finished", "2:the demo failed"})
final class DemoCommand implements java.util.concurrent.Callable<Integer> {
    private static final int STEPS = 40;
    private static final long RUN_BEFORE_CHECKPOINT_MS = 2200;
    private static final long QUIET_AFTER_KILL_MS = 1000;
    private static final long RESTART_TIMEOUT_S = 60;

    @Spec
    CommandSpec spec;

    @Option(names = "--keep", description = "Keep the context file and the counter's log.")
    boolean keep;

    @Option(names = "--restore-pid", description = "Restart with the original PID (needs root).")
    boolean restorePid;

    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Checkpointer checkpointer = Checkpointer.create();
        Path counter = counterProgram(checkpointer);
        Path workDir = Files.createTempDirectory("cryo-demo-");
        Path log = workDir.resolve("counter.log");
        Path context = workDir.resolve("context.demo");
        try (LogFollower follower = new LogFollower(log, out)) {
            return runDemo(checkpointer, counter, log, context, follower);
        } finally {
            cleanUp(workDir);
        }
    }

    private int runDemo(Checkpointer checkpointer, Path counter, Path log, Path context, LogFollower follower)
            throws Exception {
        long pid = startCounter(counter, log);
        say("started a counter as pid %d: one step every 200 ms, %d steps", pid, STEPS);
        follower.start();
        Thread.sleep(RUN_BEFORE_CHECKPOINT_MS);

        CheckpointResult result = checkpoint(checkpointer, pid, context);
        follower.poll();
        int checkpointedStep = follower.lastStep();
        say("checkpointed pid %d at step %d to %s (%s, %s)", pid, checkpointedStep, context,
                Units.bytes(result.fileSize()), Units.millis(result.totalNanos()));
        say("killed pid %d with SIGKILL: nothing is running now, only the context file is left", pid);
        awaitDeath(pid);
        Thread.sleep(QUIET_AFTER_KILL_MS);

        say("restarting from %s", context);
        follower.markRestart();
        long restartStarted = System.nanoTime();
        int status = restart(checkpointer, context);
        follower.poll();
        checkContinuity(checkpointedStep, follower.firstStepAfterRestart(), status);

        say("the restarted counter carried on at step %d (checkpointed at step %d) and finished at step %d",
                follower.firstStepAfterRestart(), checkpointedStep, follower.lastStep());
        say("summary: context file %s (page data %s), process frozen %s, checkpoint %s, restart and run %s",
                Units.bytes(result.fileSize()), Units.bytes(result.pageBytes()), Units.millis(result.freezeNanos()),
                Units.millis(result.totalNanos()), Units.millis(System.nanoTime() - restartStarted));
        return ExitStatus.OK;
    }

    private static Path counterProgram(Checkpointer checkpointer) throws CliFailure {
        Path home = checkpointer.home().orElseThrow(() -> new CliFailure(
                "cannot find the Cryo installation: set -D" + CryoHome.PROPERTY, ExitStatus.FAILED));
        Path counter = CryoHome.program(home, "cryo-demo-counter");
        if (!Files.isExecutable(counter)) {
            throw new CliFailure(counter + " is missing (build with 'mvn package')", ExitStatus.FAILED);
        }
        return counter;
    }

    /** Starts the counter in the background of a shell that exits at once, and returns its PID. */
    private static long startCounter(Path counter, Path log) throws IOException, InterruptedException, CliFailure {
        ProcessBuilder shell = new ProcessBuilder("/bin/sh", "-c",
                "\"$0\" \"$1\" </dev/null >>\"$CRYO_DEMO_LOG\" 2>&1 & echo $!", counter.toString(),
                Integer.toString(STEPS));
        shell.environment().put("CRYO_DEMO_LOG", log.toString());
        shell.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process process = shell.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        process.waitFor();
        try {
            return Long.parseLong(output);
        } catch (NumberFormatException e) {
            throw new CliFailure("could not start " + counter + " (" + output + ")", ExitStatus.FAILED);
        }
    }

    /** Through the API, as an application would; the engine ends the process with SIGKILL once the file is safe. */
    private static CheckpointResult checkpoint(Checkpointer checkpointer, long pid, Path context)
            throws CheckpointException {
        checkpointer.checkTarget(pid);
        try {
            return checkpointer.checkpoint(pid, CheckpointOptions.builder()
                    .file(context).endAction(EndAction.KILL).build());
        } catch (CheckpointException e) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            throw e;
        }
    }

    /** Waits until the counter is gone or a zombie (its reaper is not this JVM). */
    private static void awaitDeath(long pid) throws InterruptedException {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        for (int i = 0; i < 100; i++) {
            try {
                String text = Files.readString(stat);
                int close = text.lastIndexOf(')');
                if (close > 0 && close + 2 < text.length() && text.charAt(close + 2) == 'Z') {
                    return;
                }
            } catch (IOException e) {
                return; // gone
            }
            Thread.sleep(20);
        }
    }

    private int restart(Checkpointer checkpointer, Path context) throws Exception {
        Process helper = checkpointer.restart(context, RestartOptions.builder()
                .restorePid(restorePid).inheritIo(true).build());
        say("cryo-engine restore runs as pid %d and is the restarted process's parent", helper.pid());
        if (!helper.waitFor(RESTART_TIMEOUT_S, TimeUnit.SECONDS)) {
            helper.descendants().forEach(ProcessHandle::destroyForcibly);
            helper.destroyForcibly();
            throw new CliFailure("the restarted counter did not finish within " + RESTART_TIMEOUT_S + " s",
                    ExitStatus.FAILED);
        }
        return helper.exitValue();
    }

    private static void checkContinuity(int checkpointedStep, int firstAfter, int status) throws CliFailure {
        if (status == ExitStatus.RESTORE_FAILED) {
            throw new CliFailure("the restart failed (see the message above)", ExitStatus.FAILED);
        }
        if (status != 0) {
            throw new CliFailure("the restarted counter exited with status " + status, ExitStatus.FAILED);
        }
        if (firstAfter != checkpointedStep + 1) {
            throw new CliFailure("the restarted counter printed step " + firstAfter + " first, expected step "
                    + (checkpointedStep + 1), ExitStatus.FAILED);
        }
    }

    private void say(String format, Object... args) {
        out.println("cryo demo: " + String.format(format, args));
        out.flush();
    }

    private void cleanUp(Path workDir) throws IOException {
        if (keep) {
            say("kept %s", workDir);
            return;
        }
        try (Stream<Path> files = Files.walk(workDir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
