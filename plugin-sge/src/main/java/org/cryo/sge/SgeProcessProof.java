package org.cryo.sge;

import java.util.List;
import org.cryo.scheduler.JobCheckpointer;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerException;

/**
 * Grid Engine's proof that a PID a job's catalog names is the job's: on the job's host, one of
 * the process's ancestors is a root-owned {@code sge_shepherd} whose working directory is the
 * execd's {@code active_jobs/JOBID.TASK} (the shepherd runs there, as root; the job's user can
 * neither start one nor move it).  Only a privileged Cryo needs the proof: anyone else's ptrace
 * reaches their own processes only, and it cannot read a root process's working directory.
 */
final class SgeProcessProof implements JobCheckpointer.ProcessProof {
    /** $1 = pid, $2 = job id: exits 0 when an ancestor is the job's shepherd. */
    private static final String SCRIPT = """
            p=$1
            while [ "$p" -gt 1 ] 2>/dev/null; do
              if [ "$(cat /proc/$p/comm 2>/dev/null)" = sge_shepherd ] && [ "$(stat -c %u /proc/$p)" = 0 ]; then
                case "$(readlink /proc/$p/cwd)" in */active_jobs/"$2".*) exit 0;; esac
              fi
              p=$(sed 's/.*) //' /proc/$p/stat 2>/dev/null | cut -d' ' -f2)
            done
            exit 1
            """;

    private final NodeExecutor nodes;

    SgeProcessProof(NodeExecutor nodes) {
        this.nodes = nodes;
    }

    @Override
    public void prove(JobStatus job, JobProcess process) throws SchedulerException {
        if (!"root".equals(System.getProperty("user.name"))) {
            return;
        }
        NodeExecutor.Result result = nodes.run(process.node(),
                List.of("sh", "-c", SCRIPT, "sh", Long.toString(process.pid()), job.jobId()), 30);
        if (result.status() != 0) {
            throw JobCheckpointer.notTheJobs(job, process, "no sge_shepherd of job " + job.jobId() + " above it on "
                    + process.node());
        }
    }
}
