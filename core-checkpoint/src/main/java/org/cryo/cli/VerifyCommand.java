package org.cryo.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.cryo.api.Checkpointer;
import org.cryo.api.SafeText;
import org.cryo.format.ContextInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** cryo verify: the whole file checked as a restart reads it, the verdict on one line. */
@Command(name = "verify", mixinStandardHelpOptions = true, version = CryoCommand.VERSION, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo verify - check a context file whole",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Reads FILE whole as a restart would: its header, section table, the checksum of every",
            "  section (page data included), every record's bounds and how the tree holds together.",
            "  Prints one line: 'FILE: valid ...' with what it holds, or the first fault found.",
            "  Whether the files the processes had open are still there is the restart's to check.",
        },
        parameterListHeading = "%nARGUMENTS%n",
        optionListHeading = "%nOPTIONS%n",
        exitCodeListHeading = "%nEXIT STATUS%n",
        exitCodeList = {"0:the file is valid", "1:usage error", "2:the file is missing, unreadable or corrupt"})
final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The context file.")
    Path file;

    @Override
    public Integer call() throws Exception {
        Checkpointer checkpointer = Checkpointer.create();
        // the engine's description verifies first, as cryo_verify_file does: every checksum, pages included
        ContextInfo info = checkpointer.inspect(file);
        spec.commandLine().getOut().printf("%s: valid, %d process%s, %s, taken %s on %s%n",
                SafeText.escape(file.toString()), info.processes().size(), info.processes().size() == 1 ? "" : "es",
                Units.bytes(info.fileSize()), info.time(), SafeText.escape(info.host()));
        spec.commandLine().getOut().flush();
        return ExitStatus.OK;
    }
}
