package org.cryo.pbs;

import java.util.List;
import org.cryo.scheduler.JobCheckpointer;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerException;

/**
 * PBS's proof that a PID the job's catalog names is the job's: PBS tracks a job by its session
 * (the MoM scans /proc for the task's session id), so the process must be in the job's session
 * (the one the MoM's action was given as {@code %sid}, else the server's {@code session_id}) and
 * carry the job's {@code PBS_JOBID} in its environment, which the MoM put there.  The job's user can
 * neither move a process into that session from outside it nor read another user's environment.
 */
final class PbsSessionProof {
    /** $1 pid, $2 session, $3 job id: exit 0 when the process is in the session with PBS_JOBID=$3, else one line. */
    private static final String SCRIPT = """
            p=$1
            [ -r /proc/$p/stat ] || { echo "it does not run"; exit 2; }
            s=$(sed 's/.*) //' /proc/$p/stat | cut -d' ' -f4)
            [ "$s" = "$2" ] || { echo "its session is $s, not the job's session $2"; exit 1; }
            tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep -qxF "PBS_JOBID=$3" || { echo "no PBS_JOBID=$3 in its environment"; exit 1; }
            exit 0
            """;

    private PbsSessionProof() {
    }

    static void prove(JobStatus job, JobProcess process, long session, NodeExecutor nodes) throws SchedulerException {
        if (session <= 1) {
            throw JobCheckpointer.notTheJobs(job, process, "PBS names no session for the job");
        }
        NodeExecutor.Result result = nodes.run(job, process.node(), List.of("sh", "-c", SCRIPT, "sh",
                Long.toString(process.pid()), Long.toString(session), job.jobId()), 30);
        if (result.status() != 0) {
            throw JobCheckpointer.notTheJobs(job, process, result.lastLine());
        }
    }
}
