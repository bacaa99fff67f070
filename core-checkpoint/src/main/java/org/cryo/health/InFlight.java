package org.cryo.health;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checkpoints being written on this host: the engine writes a context file nameless
 * ({@code O_TMPFILE}) in the job's catalog directory and links it only when complete, so a
 * {@code cryo-engine} process holding a descriptor to {@code DIR/#INODE (deleted)} in a job's
 * directory is writing that job's next context file, and the file's size is what it has written.
 * The total is estimated from the job's previous context file (none: unknown).  Only what this
 * host's /proc shows: each node's agent scans its own and reports it ({@link InFlightCheckpoints},
 * {@code /inflight}), and the console gathers the agents' reports.
 */
public final class InFlight {
    private static final String HELPER = "cryo-engine";

    /** A checkpoint in flight: the job's directory, bytes written so far, the estimated total (-1: unknown). */
    public record Progress(String jobId, Path directory, long written, long estimatedTotal) {
    }

    private InFlight() {
    }

    /** Every checkpoint in flight into one of {@code directories} (job id by directory). */
    public static List<Progress> scan(Map<Path, String> directories, Map<Path, Long> previousSizes) {
        List<Progress> found = new ArrayList<>();
        if (directories.isEmpty()) {
            return found;
        }
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                if (isHelper(proc)) {
                    found.addAll(writtenBy(proc, directories, previousSizes));
                }
            }
        } catch (IOException | RuntimeException e) {
            // /proc not readable: nothing is shown in flight
        }
        return found;
    }

    private static boolean isHelper(Path proc) {
        try {
            return Files.readString(proc.resolve("comm")).strip().equals(HELPER);
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    private static List<Progress> writtenBy(Path proc, Map<Path, String> directories, Map<Path, Long> previousSizes) {
        List<Progress> found = new ArrayList<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : fds) {
                String target = Files.readSymbolicLink(fd).toString();
                if (!target.endsWith(" (deleted)")) {
                    continue;
                }
                Path file = Path.of(target.substring(0, target.length() - " (deleted)".length()));
                Path dir = file.getParent();
                if (dir != null && directories.containsKey(dir) && file.getFileName().toString().startsWith("#")) {
                    found.add(new Progress(directories.get(dir), dir, Files.size(fd),
                            previousSizes.getOrDefault(dir, -1L)));
                }
            }
        } catch (IOException | RuntimeException gone) {
            // the process ended meanwhile
        }
        return found;
    }
}
