package org.cryo.scheduler;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One job's directory in the {@link JobCatalog}:
 * <pre>
 *   context.000001 ...   context files, numbered in the order taken (the highest is the latest)
 *   latest               symbolic link to the latest context file
 *   process              the checkpointable process cr_run runs ({@link JobProcess})
 *   vacating             present while a vacate is under way: cr_run then waits for the
 *                        scheduler to end the job instead of exiting with the killed process's status
 *   disabled             present after 'checkpoint disable': checkpoints of the job are refused
 *                        (admin, periodic and signal-triggered) until 'checkpoint enable'
 *   error                the last checkpoint error: "CODE MESSAGE" on one line ('checkpoint error')
 * </pre>
 * Only the last {@code keep} context files are kept.
 */
public final class JobDirectory {
    private static final Pattern CONTEXT_NAME = Pattern.compile("context\\.(\\d{6,})");

    private final String jobId;
    private final Path dir;
    private final int keep;

    JobDirectory(String jobId, Path dir, int keep) {
        this.jobId = jobId;
        this.dir = dir;
        this.keep = keep;
    }

    public String jobId() {
        return jobId;
    }

    public Path path() {
        return dir;
    }

    public Path processFile() {
        return dir.resolve("process");
    }

    public Path vacatingMarker() {
        return dir.resolve("vacating");
    }

    /** Creates the directory (and the catalog root) if needed. */
    public JobDirectory create() throws IOException {
        Files.createDirectories(dir);
        return this;
    }

    /** The context files, oldest first. */
    public List<Path> contexts() throws IOException {
        List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return files;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                if (sequence(entry) >= 0 && Files.isRegularFile(entry)) {
                    files.add(entry);
                }
            }
        }
        files.sort((a, b) -> Long.compare(sequence(a), sequence(b)));
        return files;
    }

    /** The newest complete context file. */
    public Optional<Path> latest() throws IOException {
        List<Path> files = contexts();
        return files.isEmpty() ? Optional.empty() : Optional.of(files.get(files.size() - 1));
    }

    /** The name the next context file gets (the checkpointer writes it under a temporary name first). */
    public Path nextContext() throws IOException {
        long next = latest().map(JobDirectory::sequence).orElse(0L) + 1;
        return dir.resolve(String.format("context.%06d", next));
    }

    /** Records {@code file} as the latest context and drops all but the last {@code keep}. */
    public void commit(Path file) throws IOException {
        Path link = dir.resolve("latest");
        Path temp = dir.resolve("latest.tmp");
        Files.deleteIfExists(temp);
        Files.createSymbolicLink(temp, file.getFileName());
        Files.move(temp, link, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        List<Path> files = contexts();
        for (int i = 0; i < files.size() - keep; i++) {
            Files.deleteIfExists(files.get(i));
        }
    }

    /** The process cr_run recorded, if any. */
    public Optional<JobProcess> process() throws IOException {
        try {
            return Optional.of(JobProcess.readFrom(processFile()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    public boolean isVacating() {
        return Files.exists(vacatingMarker());
    }

    public void markVacating() throws IOException {
        Files.writeString(vacatingMarker(), ProcessHandle.current().pid() + "\n");
    }

    public void clearVacating() throws IOException {
        Files.deleteIfExists(vacatingMarker());
    }

    public Path disabledMarker() {
        return dir.resolve("disabled");
    }

    public boolean isDisabled() {
        return Files.exists(disabledMarker());
    }

    /** Slurm 19.05 {@code checkpoint disable/enable}: a per-job flag. */
    public void setDisabled(boolean disabled) throws IOException {
        if (disabled) {
            create();
            Files.writeString(disabledMarker(), "disabled by " + System.getProperty("user.name") + "\n");
        } else {
            Files.deleteIfExists(disabledMarker());
        }
    }

    public Path errorFile() {
        return dir.resolve("error");
    }

    /** Records the last checkpoint error of the job (Slurm 19.05 {@code checkpoint error}). */
    public void recordError(int code, String message) throws IOException {
        create();
        Path temp = dir.resolve("error.tmp");
        Files.writeString(temp, code + " " + message.replace('\n', ' ').strip() + "\n");
        Files.move(temp, errorFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The last checkpoint error recorded: code and message. */
    public Optional<CheckpointError> lastError() throws IOException {
        try {
            String line = Files.readString(errorFile()).strip();
            int space = line.indexOf(' ');
            String code = space < 0 ? line : line.substring(0, space);
            return Optional.of(new CheckpointError(Integer.parseInt(code), space < 0 ? "" : line.substring(space + 1)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (NumberFormatException e) {
            throw new IOException(errorFile() + ": not an error record", e);
        }
    }

    /** A checkpoint error: a code (the failing step's exit status, or 1) and its one-line message. */
    public record CheckpointError(int code, String message) {
    }

    /**
     * The job's checkpoint lock (an fcntl lock on {@code lock}, which works across nodes on NFS):
     * one checkpoint at a time, whether an administrator's, a vacate's or a periodic one.  Waits at
     * most {@code waitMillis}; empty if the lock is still held then.
     */
    public Optional<AutoCloseable> lock(long waitMillis) throws IOException {
        create();
        java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(dir.resolve("lock"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        long deadline = System.currentTimeMillis() + waitMillis;
        try {
            while (true) {
                java.nio.channels.FileLock lock = channel.tryLock();
                if (lock != null) {
                    return Optional.of(channel::close);
                }
                if (System.currentTimeMillis() >= deadline) {
                    channel.close();
                    return Optional.empty();
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            channel.close();
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** context.000042 -> 42; anything else -> -1. */
    static long sequence(Path file) {
        Matcher matcher = CONTEXT_NAME.matcher(file.getFileName().toString());
        return matcher.matches() ? Long.parseLong(matcher.group(1)) : -1;
    }
}
