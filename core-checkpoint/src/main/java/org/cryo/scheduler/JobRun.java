package org.cryo.scheduler;

/**
 * Which run of a batch job this is, in the scheduler's own terms: each start of a job after a
 * requeue, migration or node failure is a new run of the same job id.
 *
 * <p>{@code id} names the run so that a process recorded by one run is never taken for the
 * process of the next (Slurm: the restart count; a scheduler that cannot name its runs gives
 * "" and the check is skipped).  {@code start} says whether the scheduler started the job afresh
 * or again: only a rerun restarts from the job's latest context file, and where the scheduler
 * does not say (PBS), a context file in the catalog is what tells a rerun.
 */
public record JobRun(String id, Start start) {
    /** How the scheduler started this run. */
    public enum Start {
        /** The job's first start: the work runs from the top. */
        FIRST,
        /** A start after a requeue, migration or failure: the work carries on from its latest context. */
        RERUN,
        /** The scheduler does not say: a context file in the catalog means a rerun. */
        UNKNOWN
    }

    /** What a run id may hold: it is written into the catalog and shown in messages. */
    private static final String ID_PATTERN = "[A-Za-z0-9._:-]{0,64}";

    public JobRun {
        if (id == null || !id.matches(ID_PATTERN)) {
            throw new IllegalArgumentException("invalid run id '" + org.cryo.api.SafeText.escape(String.valueOf(id)) + "'");
        }
        if (start == null) {
            throw new IllegalArgumentException("no start kind");
        }
    }

    /** A run the scheduler does not name or qualify. */
    public static JobRun unknown() {
        return new JobRun("", Start.UNKNOWN);
    }

    /**
     * A run from a scheduler that counts restarts (Slurm's {@code SLURM_RESTART_COUNT}): 0 or
     * unset is the first start, N > 0 the N-th rerun; anything else is not a count, so the
     * scheduler is taken not to say.
     */
    public static JobRun counted(String count) {
        if (count == null || count.isBlank()) {
            return new JobRun("0", Start.FIRST);
        }
        String text = count.strip();
        if (!text.matches("\\d{1,9}")) {
            return unknown();
        }
        int n = Integer.parseInt(text);
        return new JobRun(Integer.toString(n), n == 0 ? Start.FIRST : Start.RERUN);
    }

    /** Does this run restart from the latest context (given whether the catalog holds one)? */
    public boolean restartsFromContext(boolean catalogHasContext) {
        return start != Start.FIRST && catalogHasContext;
    }

    /** May a process recorded in run {@code recorded} be this run's?  ("" on either side: not known.) */
    public static boolean sameRun(String current, String recorded) {
        return current.isEmpty() || recorded.isEmpty() || current.equals(recorded);
    }
}
