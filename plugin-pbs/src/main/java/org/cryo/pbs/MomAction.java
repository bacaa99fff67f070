package org.cryo.pbs;

import java.util.List;
import org.cryo.api.SafeText;

/**
 * One call of a MoM checkpoint action, from its argument list, every field checked before use
 * (the MoM passes what the job's record holds).
 *
 * <p>OpenPBS: {@code $action EVENT TIMEOUT !SCRIPT EVENT %jobid %sid %taskid %path %uid %gid %login
 * %owner}, with EVENT {@code checkpoint} (periodic, {@code -c c=MIN/w=MIN}: the job runs on),
 * {@code checkpoint_abort} (qhold, preemption, server shutdown: the script must end the job) or
 * {@code restart} (qrls, {@code %sid} negated).  Torque: {@code $checkpoint_script} is called with
 * {@code session_id job_id user group checkpoint_dir checkpoint_name signal_num checkpoint_depth}
 * (a signal: the job is to end, qhold; 0: it runs on, qchkpt and {@code -c periodic}) and
 * {@code $restart_script} with {@code session_id job_id user group checkpoint_dir checkpoint_name};
 * Cryo's wrapper names those {@code torque-checkpoint} and {@code torque-restart}.
 *
 * @param event    what to do
 * @param jobId    the job
 * @param session  the job's session id (positive)
 * @param user     the job's user (a name; the wrapper checked that it has the uid the MoM gave)
 * @param path     the MoM's checkpoint file for the task (OpenPBS) or directory (Torque), or "" if none
 * @param keep     context files to keep (Torque's checkpoint_depth), 0 if not given
 */
public record MomAction(Event event, String jobId, long session, String user, String path, int keep) {
    /** What the MoM asks. */
    public enum Event {
        /** Checkpoint, the job runs on. */
        CHECKPOINT,
        /** Checkpoint, then end the job's session (PBS does not end it). */
        CHECKPOINT_ABORT,
        /** Restore the job from its latest context, in its session. */
        RESTART
    }

    private static final String USER = "[a-z_][a-z0-9_.-]{0,31}";

    /** The call {@code args} (the event first, as the MoM line or Cryo's wrapper gives it); IllegalArgumentException naming the bad field. */
    public static MomAction parse(List<String> args) {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("no MoM action given");
        }
        return switch (args.get(0)) {
            case "checkpoint" -> openPbs(Event.CHECKPOINT, args);
            case "checkpoint_abort" -> openPbs(Event.CHECKPOINT_ABORT, args);
            case "restart" -> openPbs(Event.RESTART, args);
            case "torque-checkpoint" -> torque(args, true);
            case "torque-restart" -> torque(args, false);
            default -> throw new IllegalArgumentException("unknown MoM action '" + SafeText.escape(args.get(0))
                    + "' (checkpoint, checkpoint_abort, restart, torque-checkpoint, torque-restart)");
        };
    }

    /** EVENT %jobid %sid %taskid %path %uid %gid %login [%owner ...]. */
    private static MomAction openPbs(Event event, List<String> args) {
        if (args.size() < 8) {
            throw new IllegalArgumentException("MoM action " + args.get(0) + " needs %jobid %sid %taskid %path %uid"
                    + " %gid %login, got " + (args.size() - 1) + " argument(s)");
        }
        long session = session(args.get(2), event == Event.RESTART);
        number("%taskid", args.get(3));
        number("%uid", args.get(5));
        number("%gid", args.get(6));
        return new MomAction(event, jobId(args.get(1)), session, user(args.get(7)), path(args.get(4)), 0);
    }

    /** torque-checkpoint SID JOBID USER GROUP DIR NAME SIGNAL DEPTH / torque-restart SID JOBID USER GROUP DIR NAME. */
    private static MomAction torque(List<String> args, boolean checkpoint) {
        int needed = checkpoint ? 9 : 7;
        if (args.size() < needed) {
            throw new IllegalArgumentException("Torque's " + (checkpoint ? "$checkpoint_script" : "$restart_script")
                    + " passes " + (needed - 1) + " arguments (session_id job_id user group checkpoint_dir"
                    + " checkpoint_name" + (checkpoint ? " signal_num checkpoint_depth" : "") + "), got " + (args.size() - 1));
        }
        long session = session(args.get(1), false);
        String jobId = jobId(args.get(2));
        String user = user(args.get(3));
        if (!checkpoint) {
            return new MomAction(Event.RESTART, jobId, session, user, path(args.get(5)), 0);
        }
        int signal = (int) number("signal_num", args.get(7));
        int depth = (int) number("checkpoint_depth", args.get(8));
        return new MomAction(signal == 0 ? Event.CHECKPOINT : Event.CHECKPOINT_ABORT, jobId, session, user,
                path(args.get(5)), depth);
    }

    static String jobId(String text) {
        if (!text.matches(PbsJobEnvironment.JOB_ID)) {
            throw new IllegalArgumentException("invalid %jobid '" + SafeText.escape(text) + "'");
        }
        return text;
    }

    /** The session: positive, or negated for OpenPBS's restart (the MoM keeps a checkpointed task's sid negated). */
    static long session(String text, boolean negated) {
        if (!text.matches("-?\\d{1,9}")) {
            throw new IllegalArgumentException("invalid %sid '" + SafeText.escape(text) + "'");
        }
        long sid = Math.abs(Long.parseLong(text));
        if (sid <= 1 || (text.startsWith("-") && !negated)) {
            throw new IllegalArgumentException("invalid %sid '" + SafeText.escape(text) + "' (a job's session is a"
                    + " process id above 1" + (negated ? "" : ", not negative") + ")");
        }
        return sid;
    }

    private static long number(String what, String text) {
        if (!text.matches("\\d{1,9}")) {
            throw new IllegalArgumentException("invalid " + what + " '" + SafeText.escape(text) + "'");
        }
        return Long.parseLong(text);
    }

    private static String user(String text) {
        if (!text.matches(USER)) {
            throw new IllegalArgumentException("invalid user '" + SafeText.escape(text) + "'");
        }
        return text;
    }

    /** %path: an absolute path, or NULL (terminate) / empty: none. */
    private static String path(String text) {
        if (text.isEmpty() || "NULL".equals(text)) {
            return "";
        }
        if (!text.startsWith("/") || text.contains("\0") || text.length() > 4096) {
            throw new IllegalArgumentException("invalid %path '" + SafeText.escape(text) + "'");
        }
        return text;
    }
}
