package org.cryo.scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * The processes a vacate's checkpoint left stopped (end action STOP), as {@code cryo-tree list}
 * saw them on the node right after it: the checkpointed PID and its descendants, each with its
 * start time, so that the end (SIGKILL once the scheduler took the job back) or the
 * continuation (SIGCONT when it did not) reaches exactly these processes, re-checked one by one,
 * and never a process that took a PID over since.  A stopped tree neither forks nor reaps, so
 * what is listed is what was checkpointed.
 */
public record StoppedTree(String node, List<Member> members) {
    /** One process: PID, start time in clock ticks after boot (/proc/PID/stat field 22), state letter. */
    public record Member(long pid, long startTime, char state) {
        boolean zombie() {
            return state == 'Z' || state == 'X';
        }

        /** What {@code cryo-tree signal} takes: {@code PID:START}. */
        String spec() {
            return pid + ":" + startTime;
        }
    }

    public StoppedTree {
        members = List.copyOf(members);
    }

    /**
     * Parses {@code cryo-tree list ROOT}'s output, refusing anything but lines of three fields
     * whose first is {@code root} (the node's output is not trusted to be what was asked).
     */
    static StoppedTree parse(String node, long root, String output) throws SchedulerException {
        List<Member> members = new ArrayList<>();
        for (String line : output.strip().split("\n")) {
            String[] f = line.strip().split(" ");
            if (f.length != 3 || f[2].length() != 1) {
                throw new SchedulerException("unexpected line from cryo-tree on node " + node + ": '"
                        + org.cryo.api.SafeText.escape(line) + "'");
            }
            try {
                members.add(new Member(Long.parseLong(f[0]), Long.parseLong(f[1]), f[2].charAt(0)));
            } catch (NumberFormatException e) {
                throw new SchedulerException("unexpected line from cryo-tree on node " + node + ": '"
                        + org.cryo.api.SafeText.escape(line) + "'", e);
            }
        }
        if (members.isEmpty() || members.get(0).pid() != root) {
            throw new SchedulerException("cryo-tree on node " + node + " did not list the tree of process " + root);
        }
        return new StoppedTree(node, members);
    }

    /** The processes that are not stopped (nor zombies): the engine should have stopped every one. */
    public List<Member> running() {
        return members.stream().filter(m -> !m.zombie() && m.state() != 'T').toList();
    }

    /** The processes a signal is for: every one but zombies, as {@code PID:START}. */
    List<String> specs() {
        return members.stream().filter(m -> !m.zombie()).map(Member::spec).toList();
    }
}
