package org.cryo.sge;

import java.nio.file.Path;
import java.util.List;
import org.cryo.scheduler.JobCheckpointer;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerException;

/**
 * Grid Engine's proof that a PID a job's catalog names is the job's: on the job's host, one of
 * the process's ancestors is an {@code sge_shepherd} of root or of Grid Engine's admin user
 * ({@code admin_user} in the cell's bootstrap file; the execd and its shepherds run as that user)
 * whose working directory is the execd's {@code active_jobs/JOBID.TASK}: the job's user can
 * neither start such a process nor move one there.  Only a privileged Cryo needs the proof: anyone else's ptrace
 * reaches their own processes only, and it cannot read a root process's working directory.
 */
final class SgeProcessProof {
    /** $1 = pid, $2 = job id, $3 = the admin user: exits 0 when an ancestor is the job's shepherd. */
    private static final String SCRIPT = """
            p=$1
            while [ "$p" -gt 1 ] 2>/dev/null; do
              if [ "$(cat /proc/$p/comm 2>/dev/null)" = sge_shepherd ] && { [ "$(stat -c %u /proc/$p)" = 0 ] || [ "$(stat -c %U /proc/$p)" = "$3" ]; }; then
                case "$(readlink /proc/$p/cwd)" in */active_jobs/"$2".*) exit 0;; esac
              fi
              p=$(sed 's/.*) //' /proc/$p/stat 2>/dev/null | cut -d' ' -f2)
            done
            exit 1
            """;

    private final String adminUser;

    SgeProcessProof(String adminUser) {
        this.adminUser = adminUser;
    }

    /** admin_user of the cell's bootstrap file (root when it names none or cannot be read). */
    static String adminUser(java.util.Map<String, String> environment) {
        Path bootstrap = Path.of(environment.getOrDefault("SGE_ROOT", "/var/lib/gridengine"),
                environment.getOrDefault("SGE_CELL", "default"), "common", "bootstrap");
        try {
            for (String line : java.nio.file.Files.readAllLines(bootstrap)) {
                String[] f = line.strip().split("\\s+");
                if (f.length == 2 && f[0].equals("admin_user") && f[1].matches("[a-z_][a-z0-9_-]*") && !f[1].equals("none")) {
                    return f[1];
                }
            }
        } catch (java.io.IOException e) {
            // root only
        }
        return "root";
    }

    void prove(JobStatus job, JobProcess process, NodeExecutor nodes) throws SchedulerException {
        if (nodes.isLocal(process.node()) && !java.nio.file.Files.exists(Path.of("/proc", Long.toString(process.pid())))) {
            throw new SchedulerException(job.describe() + ": its process " + process.pid() + " has ended (already"
                    + " checkpointed and vacated?)");
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return;
        }
        NodeExecutor.Result result = nodes.run(job, process.node(),
                List.of("sh", "-c", SCRIPT, "sh", Long.toString(process.pid()), job.jobId(), adminUser), 30);
        if (result.status() != 0) {
            throw JobCheckpointer.notTheJobs(job, process, "no sge_shepherd of job " + job.jobId() + " above it on "
                    + process.node());
        }
    }
}
