package org.cryo.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.cryo.api.CheckpointException;
import org.cryo.api.Checkpointer;
import org.cryo.api.RestartOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** cr_restart: restarts a context file and, unless --detach, stands in for the process until it exits. */
@Command(name = "cr_restart", mixinStandardHelpOptions = true, version = CryoCommand.VERSION, usageHelpWidth = 100,
        sortOptions = false, separator = " ",
        headerHeading = "NAME%n", header = "  cr_restart - restart a process from its context file",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Verifies FILE (every checksum), rebuilds the process it holds as a child of",
            "  cr_restart and lets it carry on from the instruction where it was checkpointed.",
            "  cr_restart waits for it and exits with its exit status, so it can stand where",
            "  the job stood in a batch script. The process keeps its PID unless",
            "  --no-restore-pid is given. Without root or CAP_CHECKPOINT_RESTORE the process",
            "  keeps its PIDs in a user and PID namespace of its own (under an init of Cryo's),",
            "  or, where none can be made, gets new ones, with a notice.",
            "  Sessions and process groups come back as they were: a root that led its session",
            "  (a batch job's script, a setsid daemon) leads it again, with the same session id",
            "  when PIDs are restored; --no-restore-sid keeps it in cr_restart's session and",
            "  --no-restore-pgid in cr_restart's process group (BLCR's defaults).",
            "  Ptys inside the job come back with their settings and the sessions they control;",
            "  a terminal outside it (stdin, stdout, stderr) is cr_restart's, left as it is.",
            "  Files are reopened by path; file-backed memory is checked to be unchanged.",
            "  Root restarting a file another user recorded runs it as that user (uid, gids,",
            "  supplementary groups), unless --as-caller; a normal user always gets its own.",
            "  An interrupted restart (any signal, to cr_restart or its helper) leaves nothing",
            "  running, or the whole process running. Once it runs, SIGINT, SIGTERM, SIGHUP,",
            "  SIGQUIT, SIGUSR1 and SIGUSR2 are passed on to it. If cr_restart dies, the process",
            "  runs on under the helper, which says so on stderr and in syslog, and logs its end.",
        },
        parameterListHeading = "%nARGUMENTS%n",
        optionListHeading = "%nOPTIONS%n",
        exitCodeListHeading = "%nEXIT STATUS%n",
        exitCodeList = {
            "N:the restarted process's exit status (0 with --detach once it runs)",
            "1:usage error or bad argument",
            "125:the restart failed (the reason is on stderr); nothing was left running",
        },
        footerHeading = "%nEXAMPLES%n",
        footer = {
            "  cr_restart context.1234",
            "  cr_restart --no-restore-pid --relocate /old/scratch=/new/scratch job.ctx",
            "",
        })
final class RestartCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--no-restore-pid", description = "Give the process a new PID instead of its original one.")
    boolean noRestorePid;

    @Option(names = "--restore-sid", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "A root that led its session leads it again (default); --no-restore-sid: it joins "
                    + "cr_restart's session. Processes below the roots always get theirs back.")
    boolean restoreSid = true;

    @Option(names = "--restore-pgid", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "A root that led its process group leads it again (default); --no-restore-pgid: cr_restart's.")
    boolean restorePgid = true;

    @Option(names = "--detach", description = {"Return as soon as the process runs, instead of waiting for it;",
        "its exit status goes to whoever inherits it (the nearest subreaper, or init)."})
    boolean detach;

    @Option(names = "--as-caller",
            description = "As root, restart a file another user recorded with root's credentials, not that user's.")
    boolean asCaller;

    @Option(names = {"-v", "--verbose"}, description = "Say how PIDs and credentials come back.")
    boolean verbose;

    @Option(names = "--relocate", paramLabel = "OLD=NEW",
            description = "Open files recorded under path OLD from NEW instead (repeatable).")
    List<String> relocations = List.of();

    @Parameters(paramLabel = "FILE", description = "The context file.")
    Path file;

    @Override
    public Integer call() throws Exception {
        RestartOptions options = options();
        Process helper;
        try {
            helper = Checkpointer.create().restart(file, options);
        } catch (CheckpointException e) {
            // The same status the helper uses, so scripts see one code for "restart failed".
            throw new CliFailure(e.getMessage(), ExitStatus.RESTORE_FAILED);
        }
        SignalRelay.install(helper.pid());
        return helper.waitFor();
    }

    private RestartOptions options() {
        RestartOptions.Builder options = RestartOptions.builder()
                .restorePid(!noRestorePid)
                .detach(detach)
                .verbose(verbose)
                .asCaller(asCaller)
                .restoreSid(restoreSid)
                .restorePgid(restorePgid)
                .inheritIo(true);
        for (String relocation : relocations) {
            int equals = relocation.indexOf('=');
            if (equals <= 0) {
                throw new ParameterException(spec.commandLine(),
                        "invalid --relocate '" + relocation + "' (expected OLD=NEW)");
            }
            options.relocate(relocation.substring(0, equals), relocation.substring(equals + 1));
        }
        return options.build();
    }
}
