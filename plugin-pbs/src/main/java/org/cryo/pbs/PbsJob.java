package org.cryo.pbs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cryo.scheduler.JobCatalog;
import org.cryo.scheduler.JobState;
import org.cryo.scheduler.JobStatus;

/**
 * A PBS job as {@code qstat -f -F json} shows it, every value as text.  Its state is the triple
 * (job_state, substate, Hold_Types), never job_state alone: R/41 is a job starting or one restarted
 * from a checkpoint (which the server no longer relays a hold for), R with Hold_Types u is a hold
 * that has not vacated it, H/60 a job held after its checkpoint_abort action.
 *
 * @param jobId       the full id ({@code 3.vm})
 * @param owner       the user it runs as ({@code euser}, else the user of {@code Job_Owner})
 * @param state       job_state: Q H W T R S U E F X B M
 * @param substate    substate (-1 if not a number)
 * @param holdTypes   Hold_Types ({@code n} none, {@code u} user, {@code o} operator, {@code s} system, combinations)
 * @param checkpoint  Checkpoint ({@code u} unset, {@code n} never, {@code s}, {@code c}, {@code c=N}, {@code w=N})
 * @param hosts       the hosts of exec_host ({@code vm/0+vm2/1*2}), in order, once each
 * @param sessionId   session_id (0 if none; after a PBS restart the session of before)
 * @param runCount    run_count
 * @param rerunable   Rerunable
 * @param variables   Variable_List (PBS_O_WORKDIR, and what qsub -v gave)
 */
public record PbsJob(String jobId, String owner, String state, int substate, String holdTypes, String checkpoint,
                     List<String> hosts, long sessionId, String runCount, boolean rerunable,
                     Map<String, String> variables) {
    /** The substate of a job starting, and of one restarted from a checkpoint for the rest of its run. */
    public static final int PRERUN = 41;
    /** The substate of a job running under the MoM's eye (held, preempted, checkpointed as usual). */
    public static final int RUNNING = 42;
    /** The substate of a job held after its checkpoint_abort action. */
    public static final int HELD_CHECKPOINTED = 60;

    public PbsJob {
        hosts = List.copyOf(hosts);
        variables = Map.copyOf(variables);
    }

    /** The job {@code jobId} of a {@code qstat -f -F json} document, if it has it. */
    public static Optional<PbsJob> from(Map<String, Object> document, String jobId) {
        Map<String, Object> jobs = QstatJson.jobs(document);
        Map<String, Object> job = QstatJson.objectAt(jobs, jobId);
        if (job.isEmpty() && jobs.size() == 1 && shortId(jobs.keySet().iterator().next()).equals(shortId(jobId))) {
            String id = jobs.keySet().iterator().next();   // "3" asked, "3.vm" answered
            return Optional.of(of(id, QstatJson.objectAt(jobs, id)));
        }
        return job.isEmpty() ? Optional.empty() : Optional.of(of(jobId, job));
    }

    /** Every job of a document. */
    public static List<PbsJob> all(Map<String, Object> document) {
        List<PbsJob> list = new ArrayList<>();
        QstatJson.jobs(document).forEach((id, value) -> list.add(of(id, QstatJson.objectAt(QstatJson.jobs(document), id))));
        return list;
    }

    static PbsJob of(String jobId, Map<String, Object> job) {
        String owner = QstatJson.text(job, "euser")
                .orElse(QstatJson.text(job, "Job_Owner").orElse("").replaceFirst("@.*", ""));
        Map<String, String> variables = new java.util.LinkedHashMap<>();
        QstatJson.objectAt(job, "Variable_List").forEach((k, v) -> {
            if (v instanceof String s) {
                variables.put(k, s);
            }
        });
        return new PbsJob(jobId, owner, QstatJson.text(job, "job_state").orElse(""),
                number(QstatJson.text(job, "substate").orElse("")), QstatJson.text(job, "Hold_Types").orElse("n"),
                QstatJson.text(job, "Checkpoint").orElse("u"), hosts(QstatJson.text(job, "exec_host").orElse("")),
                number(QstatJson.text(job, "session_id").orElse("")), QstatJson.text(job, "run_count").orElse(""),
                "True".equalsIgnoreCase(QstatJson.text(job, "Rerunable").orElse("")), variables);
    }

    private static int number(String text) {
        return text.matches("-?\\d{1,9}") ? Integer.parseInt(text) : -1;
    }

    /** "vm/0+vm2/1*2" → [vm, vm2]. */
    static List<String> hosts(String execHost) {
        List<String> hosts = new ArrayList<>();
        for (String part : execHost.split("\\+")) {
            String host = part.replaceFirst("/.*", "").strip();
            if (!host.isEmpty() && !hosts.contains(host)) {
                hosts.add(host);
            }
        }
        return hosts;
    }

    /** "3.vm" → "3"; "12[4].vm" → "12[4]". */
    static String shortId(String jobId) {
        int dot = jobId.indexOf('.');
        return dot < 0 ? jobId : jobId.substring(0, dot);
    }

    /** Cryo's state: the job_state letter with its substate and holds. */
    public JobState jobState() {
        return switch (state) {
            case "Q", "W" -> JobState.PENDING;
            case "H" -> JobState.HELD;
            case "R" -> JobState.RUNNING;
            case "S", "U" -> JobState.SUSPENDED;
            case "F", "X" -> JobState.FINISHED;
            default -> JobState.OTHER;   // T transit, E exiting, B array, M moved
        };
    }

    /** "R/41", "H/60 Hold_Types=u": what messages show. */
    public String nativeState() {
        return state + "/" + substate + ("n".equals(holdTypes) || holdTypes.isEmpty() ? "" : " Hold_Types=" + holdTypes);
    }

    /** Restarted by PBS from a checkpoint (or still starting): the server relays no hold or preemption to the MoM. */
    public boolean inPrerun() {
        return "R".equals(state) && substate == PRERUN;
    }

    /** {@code -c n}: PBS never checkpoints it (a qhold only sets the hold, the job runs on). */
    public boolean neverCheckpointed() {
        try {
            return CheckpointAttribute.parse(checkpoint).never();
        } catch (IllegalArgumentException unknown) {
            return false;   // a spelling Cryo does not know: PBS decides
        }
    }

    /**
     * The working directory the job was submitted from ({@code PBS_O_WORKDIR}): where cr_run puts
     * the catalog, unless {@code CRYO_CHECKPOINT_DIR} says otherwise (the job's, given with
     * {@code qsub -v}, else the caller's).
     */
    public Path catalogRoot(Map<String, String> environment) {
        Map<String, String> merged = new java.util.HashMap<>(environment);
        if (variables.containsKey(JobCatalog.ROOT_VARIABLE)) {
            merged.put(JobCatalog.ROOT_VARIABLE, variables.get(JobCatalog.ROOT_VARIABLE));
        }
        return PbsJobEnvironment.catalogRoot(merged, variables.get("PBS_O_WORKDIR"));
    }

    /** Cryo's view of it; runs are not named (run_count does not change on a restart from a checkpoint). */
    public JobStatus status(Map<String, String> environment) {
        JobState jobState = jobState();
        return new JobStatus(jobId, jobState, nativeState(), owner, jobState.isActive() ? hosts : List.of(),
                catalogRoot(environment), "", rerunable);
    }
}
