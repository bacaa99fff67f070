package org.cryo.slurm;

import org.cryo.api.SafeText;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.cryo.scheduler.JobCheckpointer;
import org.cryo.scheduler.JobProcess;
import org.cryo.scheduler.JobStatus;
import org.cryo.scheduler.NodeExecutor;
import org.cryo.scheduler.SchedulerException;

/**
 * Slurm's proof that a PID the job's catalog names is one of the job's processes: on the job's
 * node, {@code scontrol listpids JOBID} (the job's step daemons' own list, whatever the proctrack
 * plugin) must list it, and its real uid ({@code ps -o ruser}) must be the job's user.  Run
 * before a privileged Cryo checkpoints or signals it (plugin-slurm/README.md, "Trusting the catalog").
 */
final class SlurmProcessProof {
    private static final long TIMEOUT_SECONDS = 30;

    private final String scontrol;

    SlurmProcessProof(String scontrol) {
        this.scontrol = scontrol;
    }

    void prove(JobStatus job, JobProcess process, NodeExecutor nodes) throws SchedulerException {
        if (!jobPids(job, process, nodes).contains(process.pid())) {
            throw JobCheckpointer.notTheJobs(job, process, "'scontrol listpids " + job.jobId() + "' on "
                    + process.node() + " does not list it");
        }
        String realUser = realUser(job, process, nodes);
        if (!realUser.equals(job.user())) {
            throw JobCheckpointer.notTheJobs(job, process, "it runs as " + SafeText.escape(realUser)
                    + ", the job as " + job.user());
        }
    }

    /** The PIDs in {@code scontrol listpids JOBID} ("PID JOBID STEPID LOCALID GLOBALID" lines). */
    private Set<Long> jobPids(JobStatus job, JobProcess process, NodeExecutor nodes) throws SchedulerException {
        NodeExecutor.Result listed = nodes.run(job, process.node(), List.of(scontrol, "listpids", job.jobId()), TIMEOUT_SECONDS);
        if (listed.status() != 0) {
            throw JobCheckpointer.notTheJobs(job, process, "'scontrol listpids " + job.jobId() + "' on " + process.node()
                    + " failed: " + SafeText.escape(listed.lastLine()));
        }
        Set<Long> pids = new HashSet<>();
        for (String line : listed.output().split("\n")) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length >= 2 && fields[0].matches("\\d{1,9}") && fields[1].equals(job.jobId())) {
                pids.add(Long.parseLong(fields[0]));
            }
        }
        return pids;
    }

    /** The process's real user on its node, by name (a number if the node cannot name it). */
    private String realUser(JobStatus job, JobProcess process, NodeExecutor nodes) throws SchedulerException {
        NodeExecutor.Result ps = nodes.run(job, process.node(),
                List.of("ps", "-o", "ruser:256=", "-p", Long.toString(process.pid())), TIMEOUT_SECONDS);
        if (ps.status() != 0 || ps.output().isBlank()) {
            throw JobCheckpointer.notTheJobs(job, process, "it is gone from " + process.node());
        }
        return ps.output().strip();
    }
}
