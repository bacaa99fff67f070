package org.cryo.slurm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.cryo.api.BoundedCommand;
import org.cryo.scheduler.BatchJob;
import org.cryo.scheduler.JobRun;

/**
 * A Slurm batch job recognised from inside: {@code SLURM_JOB_ID}, the run from
 * {@code SLURM_RESTART_COUNT}, and the catalog where {@link SlurmCatalogLocation} says, from the
 * job's WorkDir as {@code scontrol show job} records it.  If scontrol cannot answer, the submit
 * directory stands in for it, with a notice (right unless the job was submitted with --chdir).
 */
final class SlurmJobEnvironment {
    private static final long SCONTROL_TIMEOUT_SECONDS = 20;

    private SlurmJobEnvironment() {
    }

    static Optional<BatchJob> detect(Map<String, String> environment) {
        String jobId = environment.get("SLURM_JOB_ID");
        if (jobId == null || !jobId.strip().matches("\\d{1,12}")) {
            return Optional.empty();
        }
        jobId = jobId.strip();
        Path workDir = recordedWorkDir(environment, jobId).orElseGet(() -> submitDir(environment));
        return Optional.of(new BatchJob(SlurmAdapterProvider.NAME, jobId, JobRun.counted(environment.get("SLURM_RESTART_COUNT")),
                SlurmCatalogLocation.root(environment, workDir.toString())));
    }

    /**
     * The job's node count: SLURM_JOB_NUM_NODES (SLURM_NNODES, its older name, where only that is
     * set); empty when neither is a number.
     */
    static OptionalInt nodes(Map<String, String> environment) {
        for (String name : List.of("SLURM_JOB_NUM_NODES", "SLURM_NNODES")) {
            String value = environment.get(name);
            if (value != null && value.strip().matches("\\d{1,6}")) {
                return OptionalInt.of(Integer.parseInt(value.strip()));
            }
        }
        return OptionalInt.empty();
    }

    /** The WorkDir line of {@code scontrol show job} (one field per line there, so a path may hold spaces). */
    static Optional<Path> workDirFrom(String scontrolShowJob) {
        for (String line : scontrolShowJob.split("\n")) {
            String field = line.strip();
            if (field.startsWith("WorkDir=/")) {
                return Optional.of(Path.of(field.substring("WorkDir=".length())));
            }
        }
        return Optional.empty();
    }

    private static Optional<Path> recordedWorkDir(Map<String, String> environment, String jobId) {
        String scontrol = scontrol(environment);
        try {
            ProcessBuilder builder = new ProcessBuilder(scontrol, "show", "job", jobId);
            builder.environment().remove("SLURM_JWT");   // munge, as the job's own scontrol
            BoundedCommand.Result result = BoundedCommand.run(builder, SCONTROL_TIMEOUT_SECONDS);
            if (!result.timedOut() && result.status() == 0) {
                Optional<Path> workDir = workDirFrom(result.output());
                if (workDir.isPresent()) {
                    return workDir;
                }
            }
        } catch (IOException e) {
            // reported below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.err.println("cryo: 'scontrol show job " + jobId + "' gave no WorkDir: the catalog goes into the submit"
                + " directory (an administrator finds it there unless the job was submitted with --chdir)");
        return Optional.empty();
    }

    private static Path submitDir(Map<String, String> environment) {
        String dir = environment.get("SLURM_SUBMIT_DIR");
        return Path.of(dir != null && !dir.isBlank() ? dir : System.getProperty("user.dir"));
    }

    private static String scontrol(Map<String, String> environment) {
        String configured = environment.get("CRYO_SCONTROL");
        if (configured != null && !configured.isBlank()) {
            return configured.strip();
        }
        return Files.isExecutable(Path.of("/usr/bin/scontrol")) ? "/usr/bin/scontrol" : "scontrol";
    }
}
