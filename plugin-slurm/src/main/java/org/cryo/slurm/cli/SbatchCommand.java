package org.cryo.slurm.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.cryo.config.CryoConfig;
import org.cryo.engine.CryoHome;
import org.cryo.scheduler.CheckpointInterval;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * cryo sbatch --checkpoint=MINUTES [--checkpoint-keep=N] [SBATCH-OPTIONS] SCRIPT [ARGS]: the old
 * {@code sbatch --checkpoint}.  Copies SCRIPT into the catalog ({@code .cryo/scripts}) and submits a
 * small batch script with SCRIPT's #SBATCH lines whose body is
 * {@code exec cr_run --checkpoint-interval=... INTERPRETER COPY ARGS}: the whole script runs under
 * cr_run, which checkpoints its process tree periodically and, after a requeue, restarts it from
 * the latest context.  Adds {@code --requeue --open-mode=append} (the job's options win).
 */
@Command(name = "sbatch", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo sbatch - submit a batch script that is checkpointed periodically",
        synopsisHeading = "%nSYNOPSIS%n  ",
        customSynopsis = "cryo sbatch --checkpoint=TIME [--checkpoint-keep=N] [SBATCH-OPTIONS] SCRIPT [ARGS...]",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  Submits SCRIPT with sbatch so that its body runs under cr_run: checkpointed every",
            "  TIME (minutes as in the old 'sbatch --checkpoint', fractions allowed, or 90s, 2h),",
            "  the last N context files kept in WORKDIR/.cryo/JOBID ($CRYO_CHECKPOINT_DIR/JOBID),",
            "  and restarted from the latest one whenever Slurm starts the job again after a",
            "  requeue, preemption or node failure. Prints what sbatch prints.",
        },
        optionListHeading = "%nOPTIONS%n")
public final class SbatchCommand implements Callable<Integer> {
    /** sbatch options that take their value as the next word (short forms and long forms without '='). */
    private static final Set<String> TAKES_VALUE = Set.of(
            "-A", "-a", "-b", "-B", "-c", "-C", "-d", "-D", "-e", "-F", "-G", "-i", "-J", "-L", "-M", "-m", "-n",
            "-N", "-o", "-p", "-q", "-S", "-t", "-w", "-x",
            "--account", "--array", "--begin", "--extra-node-info", "--cpus-per-task", "--constraint",
            "--dependency", "--chdir", "--error", "--nodefile", "--gpus", "--input", "--job-name", "--licenses",
            "--clusters", "--distribution", "--ntasks", "--nodes", "--output", "--partition", "--qos",
            "--core-spec", "--time", "--nodelist", "--exclude", "--mem", "--mem-per-cpu", "--signal",
            "--export", "--comment", "--gres", "--time-min", "--mail-type", "--mail-user", "--reservation",
            "--wckey", "--ntasks-per-node", "--open-mode", "--deadline", "--priority", "--nice");

    CommandSpec spec;

    /** Everything from the first sbatch option on is sbatch's or the script's, in order. */
    @Spec
    void setSpec(CommandSpec spec) {
        this.spec = spec;
        spec.parser().unmatchedOptionsArePositionalParams(true);
        spec.parser().stopAtPositional(true);
    }

    @Option(names = "--checkpoint", required = true, paramLabel = "TIME",
            description = "Checkpoint interval: minutes (2, 0.5) or with a unit (30s, 1.5m, 2h).")
    String interval;

    @Option(names = "--checkpoint-keep", paramLabel = "N", defaultValue = "3",
            description = "Context files kept per job (default: ${DEFAULT-VALUE}).")
    int keep;

    @Option(names = "--sbatch", paramLabel = "PROGRAM", defaultValue = "sbatch", hidden = true)
    String sbatch;

    @Parameters(paramLabel = "SBATCH-OPTIONS... SCRIPT [ARGS]")
    List<String> rest = new ArrayList<>();


    @Override
    public Integer call() throws Exception {
        if (keep < 1) {
            throw new IllegalArgumentException("--checkpoint-keep must be at least 1");
        }
        CheckpointInterval.parse(interval);   // a bad interval is refused here, not in the job
        List<String> words = new ArrayList<>(rest);
        int script = scriptIndex(words);
        Path original = Path.of(words.get(script)).toAbsolutePath();
        if (!Files.isRegularFile(original)) {
            throw new IllegalArgumentException("no such batch script: " + words.get(script));
        }
        Path home = CryoHome.find().orElseThrow(() -> new IllegalStateException("cannot find the Cryo installation"));
        // the job runs in this directory (sbatch's default WorkDir), so its catalog is here too
        Path scripts = org.cryo.slurm.SlurmCatalogLocation.root(CryoConfig.effectiveEnvironment(), Path.of("").toAbsolutePath().toString()).resolve("scripts");
        // 0700 like the rest of the catalog, which refuses directories others may write
        Files.createDirectories(scripts, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        String stamp = System.currentTimeMillis() + "-" + ProcessHandle.current().pid();
        Path body = scripts.resolve(original.getFileName() + "." + stamp);
        Files.copy(original, body);
        Path wrapper = scripts.resolve(original.getFileName() + "." + stamp + ".sbatch");
        Files.writeString(wrapper, wrapper(Files.readAllLines(original), body, home));
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));

        List<String> command = new ArrayList<>(List.of(sbatch, "--requeue", "--open-mode=append"));
        command.addAll(words.subList(0, script));
        command.add(wrapper.toString());
        command.addAll(words.subList(script + 1, words.size()));
        Process process = new ProcessBuilder(command).inheritIO().start();
        return process.waitFor();
    }

    /** The submitted script: SCRIPT's #SBATCH header, then cr_run on the copy of SCRIPT. */
    private String wrapper(List<String> lines, Path body, Path home) {
        StringBuilder text = new StringBuilder("#!/bin/bash\n");
        String interpreter = "/bin/bash";
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (i == 0 && line.startsWith("#!")) {
                interpreter = line.substring(2).strip();
                continue;
            }
            if (line.startsWith("#SBATCH")) {
                text.append(line).append('\n');
            } else if (!line.isBlank() && !line.startsWith("#")) {
                break;   // sbatch stops reading #SBATCH lines at the first command
            }
        }
        text.append("# Generated by 'cryo sbatch --checkpoint=").append(interval.strip()).append("' from ")
                .append(body.getFileName()).append(": the script runs under cr_run, checkpointed periodically.\n");
        text.append("exec ").append(quote(home.resolve("bin/cr_run").toString()))
                .append(" --checkpoint-interval=").append(quote(interval.strip()))
                .append(" --checkpoint-keep=").append(keep).append(' ')
                .append(interpreter).append(' ').append(quote(body.toString())).append(" \"$@\"\n");
        return text.toString();
    }

    /** The first word that is not an sbatch option or an option's value. */
    static int scriptIndex(List<String> words) {
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            if (word.equals("--")) {
                if (i + 1 < words.size()) {
                    return i + 1;
                }
                break;
            }
            if (!word.startsWith("-") || word.equals("-")) {
                return i;
            }
            if (TAKES_VALUE.contains(word)) {
                i++;
            }
        }
        throw new IllegalArgumentException("missing batch script (cryo sbatch --checkpoint=TIME [SBATCH-OPTIONS] SCRIPT)");
    }

    private static String quote(String word) {
        return word.matches("[A-Za-z0-9_./:=+@%-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }
}
