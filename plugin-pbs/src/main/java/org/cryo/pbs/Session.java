package org.cryo.pbs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A job's session on this node, as the MoM tracks it: the processes whose session id (field 6 of
 * {@code /proc/PID/stat}) is the job's.  What a checkpoint_abort action ends once the work is
 * checkpointed (PBS does not end it), and what must be empty before a restart.
 */
final class Session {
    private final long id;

    Session(long id) {
        if (id <= 1) {
            throw new IllegalArgumentException("not a job's session: " + id);   // 0: the kernel's and init's
        }
        this.id = id;
    }

    long id() {
        return id;
    }

    /** The session of a process, if it runs. */
    static Optional<Long> of(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(Long.parseLong(fields[3]));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The processes in the session now (this process excluded). */
    List<Long> members() {
        List<Long> members = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        ProcessHandle.allProcesses().forEach(p -> {
            if (p.pid() != self && of(p.pid()).orElse(-1L) == id) {
                members.add(p.pid());
            }
        });
        return members;
    }

    /** Sends {@code signal} ("STOP", "CONT", "KILL") to one process; false if it is gone. */
    static boolean signal(long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return kill.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * SIGKILLs every process of the session (the caller's rights: the job's own) until none is
     * left, for at most {@code millis}; returns the ones that would not go.
     */
    List<Long> end(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        List<Long> left = members();
        while (!left.isEmpty() && System.currentTimeMillis() < deadline) {
            left.forEach(pid -> signal(pid, "KILL"));
            Thread.sleep(50);
            left = members().stream().filter(pid -> !zombie(pid)).toList();
        }
        return left;
    }

    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }
}
