package org.cryo.scheduler;

import org.cryo.api.SafeText;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
 *   lock                 the job's checkpoint lock
 *   interval             cr_run's periodic-checkpoint interval, in milliseconds ({@link #recordInterval})
 *   leaving              written by a vacate: why the job leaves its node, for the restart's record
 *   moves                one line per restart from the catalog ({@link JobMove}), the last {@value #MAX_MOVES}
 *   excluded             the nodes Cryo keeps the job off (moved off them at risk), one per line
 *   durations            how long the last checkpoints took: "context.000007 412" (ms), one per line,
 *                        the latest {@value #KEPT_DURATIONS} (the node agent's checkpoint time)
 * </pre>
 * Only the last {@code keep} context files are kept.
 *
 * <p>The directory belongs to the job's user, and a privileged Cryo (root, SlurmUser) acts in it,
 * so nothing here goes through a path the user could redirect: the catalog root and the job's
 * directory are opened by descriptor without following a symbolic link ({@link SecureDirectoryStream},
 * openat with O_NOFOLLOW on Linux) and must belong to the job's user or root and be writable by no
 * one else; every file is opened relative to that descriptor with O_NOFOLLOW, must be a regular
 * file of the job's user or root, is written under a temporary name created O_EXCL with mode 0600,
 * given to the job's user, and renamed within the same descriptor.  Anything else (a symbolic
 * link, another user's file, a directory writable by others) is refused with a one-line
 * {@link UnsafeCatalogException} naming it, before anything is changed.  (Only the parents of the
 * catalog root are resolved by path: they are the job's working directory, from the scheduler's
 * record, or an administrator's {@code $CRYO_CHECKPOINT_DIR}.)
 */
public final class JobDirectory {
    private static final Pattern CONTEXT_NAME = Pattern.compile("context\\.(\\d{6,})");
    static final String PROCESS = "process";
    static final String VACATING = "vacating";
    static final String DISABLED = "disabled";
    static final String ERROR = "error";
    static final String LOCK = "lock";
    static final String LATEST = "latest";
    /** A copy of the job's command (cr_run --copy-command), for a batch script the restart's node may not have. */
    static final String SCRIPT = "script";
    /** The job's work ended with status 0 (cr_run): a later run of the job must not do it again. */
    static final String FINISHED = "finished";
    /** A batch script larger than this is no batch script. */
    private static final long MAX_SCRIPT_BYTES = 16L << 20;
    static final String EVACUATION = "evacuation";
    static final String INTERVAL = "interval";
    static final String LEAVING = "leaving";
    static final String MOVES = "moves";
    /** Restarts a job's {@code moves} file keeps (the oldest go first). */
    public static final int MAX_MOVES = 200;
    /** {@value #MAX_MOVES} lines of at most a few hundred bytes. */
    private static final int MAX_MOVES_BYTES = 64 * 1024;
    static final String EXCLUDED = "excluded";
    static final String DURATIONS = "durations";
    static final int KEPT_DURATIONS = 32;
    /** A duration record's line; a checkpoint of more than a day is no measurement. */
    private static final Pattern DURATION_LINE = Pattern.compile("context\\.\\d{6,9} (\\d{1,8})");
    /** A node name as the schedulers spell them; anything else in the record is refused. */
    private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** A record in the catalog is a few lines; anything larger is not one of Cryo's. */
    private static final int MAX_RECORD_BYTES = 4096;
    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_EXECUTABLE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final int STICKY = 01000;

    private final String jobId;
    private final Path root;
    private final Path dir;
    private final int keep;
    private final String owner;

    JobDirectory(String jobId, Path root, int keep, String owner) {
        this.jobId = jobId;
        this.root = root;
        this.dir = root.resolve(jobId);
        this.keep = keep;
        this.owner = owner;
    }

    public String jobId() {
        return jobId;
    }

    public Path path() {
        return dir;
    }

    /** The job's user: the only user besides root whose files and directories the catalog trusts. */
    public String owner() {
        return owner;
    }

    public Path processFile() {
        return dir.resolve(PROCESS);
    }

    public Path vacatingMarker() {
        return dir.resolve(VACATING);
    }

    public Path disabledMarker() {
        return dir.resolve(DISABLED);
    }

    public Path errorFile() {
        return dir.resolve(ERROR);
    }

    /**
     * Creates the job's directory if needed.  The job's own user (cr_run) also creates the catalog
     * root; a privileged Cryo acting for another user only creates the job's directory inside an
     * existing, trusted root, by descriptor, and gives it to the job's user.
     */
    public JobDirectory create() throws IOException {
        if (owner.equals(currentUser())) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
            open().close();   // refuses a planted link or another user's directory at once
            return this;
        }
        try (SecureDirectoryStream<Path> catalogRoot = openRoot()) {
            if (attributesOf(catalogRoot, jobId).isEmpty()) {
                makeDirectory(catalogRoot, jobId);
            }
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(escaped(root), null, "no catalog (cr_run creates it when the job starts)");
        }
        return this;
    }

    /**
     * Checks the whole directory before a privileged Cryo acts in it: the directory and the
     * catalog root must be trusted (see the class comment), and every file of Cryo's there (a
     * record, a marker, the lock, their temporary names, a context file) a regular file of the job's
     * user or root; {@code latest} may only be a link.  So a planted link or another user's file
     * is refused by name before anything is read, written or checkpointed.  An absent directory
     * passes: there is nothing in it.
     */
    public void verify() throws IOException {
        try (SecureDirectoryStream<Path> d = open()) {
            for (Path entry : d) {
                String name = entry.getFileName().toString();
                String base = name.endsWith(".tmp") ? name.substring(0, name.length() - 4) : name;
                Optional<PosixFileAttributes> attributes = attributesOf(d, name);
                if (attributes.isEmpty() || base.equals(LATEST)) {
                    continue;
                }
                if (CRYO_FILES.contains(base) || sequence(Path.of(base)) >= 0) {
                    ensureRegularFile(attributes.get(), dir.resolve(name));
                }
            }
        } catch (NoSuchFileException e) {
            // no directory yet
        }
    }

    /**
     * The directory cr_run gives Open MPI for its session directory (OMPI_MCA_orte_tmpdir_base):
     * the job's, written by its processes; a clean that removes the catalog removes it with it.
     */
    public static final String MPI_SESSION = "mpi-session";

    /** What a clean keeping context files keeps: the job's history across its runs. */
    private static final Set<String> JOB_HISTORY = Set.of(INTERVAL, LEAVING, MOVES);

    private static final Set<String> CRYO_FILES = Set.of(PROCESS, VACATING, DISABLED, ERROR, LOCK, SCRIPT, FINISHED,
            EVACUATION, INTERVAL, LEAVING, MOVES, EXCLUDED, DURATIONS);

    /** The context files, oldest first. */
    public List<Path> contexts() throws IOException {
        try (SecureDirectoryStream<Path> d = open()) {
            return contexts(d);
        } catch (NoSuchFileException e) {
            return List.of();
        }
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

    /**
     * {@link #commit(Path)}, and how long its checkpoint took ({@code millis}) added to the
     * {@code durations} record, for the node agent's estimate of its checkpoint time.  The record
     * is best effort: a commit never fails for it.
     */
    public void commit(Path file, long millis) throws IOException {
        commit(file);
        try {
            recordDuration(file, millis);
        } catch (IOException | RuntimeException e) {
            System.err.println("cryo: job " + jobId + ": checkpoint duration not recorded: " + e.getMessage());
        }
    }

    private void recordDuration(Path file, long millis) throws IOException {
        List<String> lines = new ArrayList<>();
        for (String line : read(DURATIONS).orElse("").split("\n")) {
            if (DURATION_LINE.matcher(line.strip()).matches()) {
                lines.add(line.strip());
            }
        }
        lines.add(file.getFileName() + " " + Math.max(0, Math.min(millis, 99_999_999L)));
        List<String> kept = lines.subList(Math.max(0, lines.size() - KEPT_DURATIONS), lines.size());
        write(DURATIONS, String.join("\n", kept) + "\n");
    }

    /**
     * The durations of the job's last checkpoints (ms), oldest first, from its {@code durations}
     * record, which the job's user can write: a line that is not one of Cryo's is refused.
     */
    public List<Long> checkpointMillis() throws IOException {
        List<Long> millis = new ArrayList<>();
        for (String line : read(DURATIONS).orElse("").split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Matcher m = DURATION_LINE.matcher(line.strip());
            if (!m.matches()) {
                throw new IOException(escaped(dir.resolve(DURATIONS)) + ": not a duration record: '"
                        + SafeText.escape(line.strip()) + "'");
            }
            millis.add(Long.parseLong(m.group(1)));
        }
        return millis;
    }

    /** Records {@code file} (a context file in this directory) as the latest and drops all but the last {@code keep}. */
    public void commit(Path file) throws IOException {
        String name = file.getFileName().toString();
        try (SecureDirectoryStream<Path> d = open()) {
            ensureRegularFile(attributesOf(d, name).orElseThrow(() -> new NoSuchFileException(escaped(dir.resolve(name)))),
                    dir.resolve(name));
            linkLatest(d, name);
            List<Path> files = contexts(d);
            java.util.Set<Path> needed = chainsOf(files.subList(Math.max(0, files.size() - keep), files.size()));
            for (int i = 0; i < files.size() - keep; i++) {
                if (!needed.contains(files.get(i).getFileName())) {
                    d.deleteFile(files.get(i).getFileName());
                }
            }
        }
    }

    /**
     * The files {@code kept} need: themselves and, for an incremental one, every parent down to its
     * full file, so that retention never breaks a chain.  Without the engine to ask, every older
     * file is kept (a lost parent cannot be taken back); a file the engine cannot read (not a
     * context file) has no parent to keep.
     */
    private java.util.Set<Path> chainsOf(List<Path> kept) {
        java.util.Set<Path> needed = new java.util.HashSet<>();
        org.cryo.api.Checkpointer engine = org.cryo.api.Checkpointer.create();
        try {
            engine.helper();
        } catch (org.cryo.api.CheckpointException noEngine) {
            try {
                contexts().forEach(p -> needed.add(p.getFileName()));
            } catch (IOException ignored) {
                // nothing is deleted that is not listed
            }
            return needed;
        }
        for (Path file : kept) {
            Path at = file;
            for (int hops = 0; at != null && needed.add(at.getFileName()) && hops < 256; hops++) {
                try {
                    at = engine.chainLink(dir.resolve(at.getFileName())).parentName().map(dir::resolve).orElse(null);
                } catch (org.cryo.api.CheckpointException unreadable) {
                    at = null;
                }
            }
        }
        return needed;
    }

    /** The process cr_run recorded, if any. */
    public Optional<JobProcess> process() throws IOException {
        Optional<String> text = read(PROCESS);
        return text.isEmpty() ? Optional.empty() : Optional.of(JobProcess.parse(text.get(), escaped(processFile())));
    }

    /** Records the job's checkpointable process (cr_run). */
    public void recordProcess(JobProcess process) throws IOException {
        write(PROCESS, process.toText());
    }

    /**
     * Keeps a copy of {@code command} (a batch script in the node's slurmd spool directory, which
     * the node a restart lands on does not have) as this directory's {@code script}, mode 0700,
     * and returns its path: the path the job's process then holds open, and the restart finds.
     */
    public Path keepScript(Path command) throws IOException {
        if (Files.size(command) > MAX_SCRIPT_BYTES) {
            throw new IOException(escaped(command) + " is larger than " + MAX_SCRIPT_BYTES + " bytes: not a batch script");
        }
        write(SCRIPT, Files.readAllBytes(command), OWNER_ONLY_EXECUTABLE);
        return dir.resolve(SCRIPT);
    }

    /** cr_run: the job's work is done (it exited 0 in run {@code run}, not killed by a vacate). */
    public void markFinished(String run) throws IOException {
        write(FINISHED, "run " + run + "\n");
    }

    /** Whether an earlier run finished the job's work (a scheduler may still run it again). */
    public boolean isFinished() throws IOException {
        return isPresent(FINISHED);
    }

    /** A first start of the job: a marker another job with this id left does not count. */
    public void clearFinished() throws IOException {
        delete(FINISHED);
    }

    public boolean isVacating() throws IOException {
        return isPresent(VACATING);
    }

    public void markVacating() throws IOException {
        write(VACATING, ProcessHandle.current().pid() + "\n");
    }

    public void clearVacating() throws IOException {
        delete(VACATING);
    }

    public boolean isDisabled() throws IOException {
        return isPresent(DISABLED);
    }

    /** Slurm 19.05 {@code checkpoint disable/enable}: a per-job flag. */
    public void setDisabled(boolean disabled) throws IOException {
        if (disabled) {
            create();
            write(DISABLED, "disabled by " + currentUser() + "\n");
        } else {
            delete(DISABLED);
        }
    }

    /**
     * Claims the evacuation of run {@code run} of the job for {@code by} (a node agent), under the
     * job's lock, so that two agents (or an agent and a one-shot health check) never move one run
     * twice: empty if the claim is this caller's now, else what the earlier claim says.  A claim
     * of an earlier run does not count (that run was moved; this one may have to move again).
     */
    public Optional<String> claimEvacuation(String run, String by, long waitMillis) throws IOException {
        long deadline = System.currentTimeMillis() + waitMillis;
        while (true) {
            Optional<AutoCloseable> lock;
            try {
                lock = lock(Math.max(0, deadline - System.currentTimeMillis()));
            } catch (java.nio.channels.OverlappingFileLockException heldInThisJvm) {
                lock = Optional.empty();
            }
            if (lock.isPresent()) {
                try (AutoCloseable held = lock.get()) {
                    Optional<String> earlier = read(EVACUATION).map(String::strip);
                    if (earlier.isPresent() && earlier.get().split(" ", 2)[0].equals(run)) {
                        return Optional.of(SafeText.escape(earlier.get()));
                    }
                    write(EVACUATION, run + " " + by.replace('\n', ' ') + "\n");
                    return Optional.empty();
                } catch (IOException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IOException(e.getMessage(), e);
                }
            }
            if (System.currentTimeMillis() >= deadline) {
                throw new IOException("job " + jobId + ": its lock is held (a checkpoint under way); evacuation not claimed");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    /** The nodes Cryo keeps the job off (the {@code excluded} record); a line that is no node name is refused. */
    public List<String> excludedNodes() throws IOException {
        List<String> nodes = new ArrayList<>();
        for (String line : read(EXCLUDED).orElse("").split("\n")) {
            String node = line.strip();
            if (node.isEmpty()) {
                continue;
            }
            if (!NODE_NAME.matcher(node).matches()) {
                throw new IOException(escaped(dir.resolve(EXCLUDED)) + ": not a node name: '" + SafeText.escape(node) + "'");
            }
            nodes.add(node);
        }
        return nodes;
    }

    /** Records the nodes Cryo now keeps the job off. */
    public void recordExcludedNodes(List<String> nodes) throws IOException {
        for (String node : nodes) {
            if (!NODE_NAME.matcher(node).matches()) {
                throw new IllegalArgumentException("not a node name: '" + SafeText.escape(node) + "'");
            }
        }
        write(EXCLUDED, nodes.isEmpty() ? "" : String.join("\n", nodes) + "\n");
    }

    /** Gives back the claim of run {@code run} (its move failed; a retry may claim it again). */
    public void releaseEvacuation(String run) throws IOException {
        Optional<String> claim = read(EVACUATION).map(String::strip);
        if (claim.isPresent() && claim.get().split(" ", 2)[0].equals(run)) {
            delete(EVACUATION);
        }
    }

    /** cr_run's periodic-checkpoint interval, for those who read the catalog (the console). */
    public void recordInterval(java.time.Duration interval) throws IOException {
        write(INTERVAL, interval.toMillis() + "\n");
    }

    /** The periodic-checkpoint interval cr_run recorded; empty if none (or not a number of milliseconds). */
    public Optional<java.time.Duration> interval() throws IOException {
        return read(INTERVAL).map(String::strip).filter(t -> t.matches("[1-9]\\d{0,12}"))
                .map(t -> java.time.Duration.ofMillis(Long.parseLong(t)));
    }

    /** A vacate: why the job leaves its node; the restart that follows records it ({@link #takeLeaving}). */
    public void recordLeaving(JobMove.Reason reason) throws IOException {
        write(LEAVING, reason.label() + "\n");
    }

    /** Forgets why the job was leaving (its vacate failed: it stays). */
    public void clearLeaving() throws IOException {
        delete(LEAVING);
    }

    /**
     * Why the job left its node, as the vacate before this restart recorded it, removed so that
     * a later restart without a vacate counts as a failure; empty if no vacate preceded it.
     */
    public Optional<JobMove.Reason> takeLeaving() throws IOException {
        Optional<JobMove.Reason> reason = read(LEAVING).map(String::strip).flatMap(JobMove.Reason::of);
        delete(LEAVING);
        return reason;
    }

    /** Appends {@code move} to the job's {@code moves}, keeping the last {@value #MAX_MOVES}. */
    public void recordMove(JobMove move) throws IOException {
        create();
        List<String> lines = new ArrayList<>();
        moves().forEach(m -> lines.add(m.toLine()));
        lines.add(move.toLine());
        List<String> kept = lines.subList(Math.max(0, lines.size() - MAX_MOVES), lines.size());
        write(MOVES, (String.join("\n", kept) + "\n").getBytes(StandardCharsets.UTF_8), OWNER_ONLY_FILE);
    }

    /** The job's restarts, oldest first; a line that is not a move record is left out. */
    public List<JobMove> moves() throws IOException {
        Optional<String> text = read(MOVES, MAX_MOVES_BYTES);
        List<JobMove> moves = new ArrayList<>();
        if (text.isPresent()) {
            for (String line : text.get().split("\n")) {
                JobMove.parse(line).ifPresent(moves::add);
            }
        }
        return moves;
    }

    /** Records the last checkpoint error of the job (Slurm 19.05 {@code checkpoint error}). */
    public void recordError(int code, String message) throws IOException {
        create();
        write(ERROR, code + " " + message.replace('\n', ' ').replace('\r', ' ').strip() + "\n");
    }

    /** The last checkpoint error recorded: code and message (escaped: the job's user can write it). */
    public Optional<CheckpointError> lastError() throws IOException {
        Optional<String> text = read(ERROR);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        String line = text.get().strip();
        int space = line.indexOf(' ');
        String code = space < 0 ? line : line.substring(0, space);
        try {
            return Optional.of(new CheckpointError(Integer.parseInt(code),
                    space < 0 ? "" : SafeText.escape(line.substring(space + 1), 2 * SafeText.MAX_LENGTH)));
        } catch (NumberFormatException e) {
            throw new IOException(escaped(errorFile()) + ": not an error record", e);
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
        FileChannel channel = openLockFile();
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

    /**
     * Retention once a run of the job is over (a scheduler's clean hook): the run's records go
     * (process, vacating marker, lock, temporary files), the job's history stays (its interval,
     * why it is leaving, its moves: Grid Engine cleans after a migration, before the rerun that
     * records the move), the last {@code keep} context files stay,
     * and with {@code keep == 0} the job's directory goes too, if nothing but Cryo's files was in
     * it.  By descriptor, as everything here: a link is removed, never followed, and a file Cryo
     * did not write (another user's, a directory) is refused before anything is removed.
     * Returns how many files were removed.
     */
    public int clean(int keep) throws IOException {
        if (keep < 0) {
            throw new IllegalArgumentException("keep must not be negative, not " + keep);
        }
        int removed = 0;
        boolean foreign = false;
        try (SecureDirectoryStream<Path> d = open()) {
            List<String> names = new ArrayList<>();
            d.forEach(entry -> names.add(entry.getFileName().toString()));   // a directory stream iterates once
            List<String> contexts = new ArrayList<>(names.stream().filter(name -> sequence(Path.of(name)) >= 0).toList());
            contexts.sort((a, b) -> Long.compare(sequence(Path.of(a)), sequence(Path.of(b))));
            List<String> doomed = new ArrayList<>(contexts.subList(0, Math.max(0, contexts.size() - keep)));
            boolean mpiSession = false;
            for (String name : names) {
                if (name.equals(MPI_SESSION)) {
                    mpiSession = keep == 0;
                    continue;
                }
                String base = name.endsWith(".tmp") ? name.substring(0, name.length() - 4) : name;
                if (keep > 0 && JOB_HISTORY.contains(name)) {
                    continue;   // the job's, not the run's: a rerun after this clean adds to it
                }
                if (CRYO_FILES.contains(base) || name.endsWith(".tmp") || (keep == 0 && name.equals(LATEST))) {
                    doomed.add(name);
                } else if (sequence(Path.of(base)) < 0 && !name.equals(LATEST)) {
                    foreign = true;
                }
            }
            for (String name : doomed) {
                Optional<PosixFileAttributes> attributes = attributesOf(d, name);
                if (attributes.isPresent() && !attributes.get().isSymbolicLink()) {
                    ensureRegularFile(attributes.get(), dir.resolve(name));
                }
            }
            for (String name : doomed) {
                if (attributesOf(d, name).isPresent()) {
                    d.deleteFile(Path.of(name));   // unlinkat: a link is removed, never followed
                    removed++;
                }
            }
            if (mpiSession) {
                deleteTree(d, MPI_SESSION);
            }
        } catch (NoSuchFileException e) {
            return 0;
        }
        if (keep == 0 && !foreign) {
            try (SecureDirectoryStream<Path> catalogRoot = openRoot()) {
                catalogRoot.deleteDirectory(Path.of(jobId));
            } catch (java.nio.file.DirectoryNotEmptyException | NoSuchFileException e) {
                // something appeared meanwhile, or another clean was first: the directory stays
            }
        }
        return removed;
    }

    /**
     * Removes {@code name} in {@code d} and, if it is a directory, everything below it, by
     * descriptor: a link is removed, never followed (the job's processes wrote the tree).
     */
    private static void deleteTree(SecureDirectoryStream<Path> d, String name) throws IOException {
        Optional<PosixFileAttributes> attributes = attributesOf(d, name);
        if (attributes.isEmpty()) {
            return;
        }
        if (!attributes.get().isDirectory()) {
            d.deleteFile(Path.of(name));
            return;
        }
        try (SecureDirectoryStream<Path> sub = d.newDirectoryStream(Path.of(name), LinkOption.NOFOLLOW_LINKS)) {
            List<String> names = new ArrayList<>();
            sub.forEach(entry -> names.add(entry.getFileName().toString()));
            for (String entry : names) {
                deleteTree(sub, entry);
            }
        }
        d.deleteDirectory(Path.of(name));
    }

    /** context.000042 -> 42; anything else -> -1. */
    static long sequence(Path file) {
        Matcher matcher = CONTEXT_NAME.matcher(file.getFileName().toString());
        return matcher.matches() ? Long.parseLong(matcher.group(1)) : -1;
    }

    // ---------------------------------------------------------------- by descriptor

    /** The catalog root, opened without following a link and checked (a root-owned sticky root may be shared). */
    private SecureDirectoryStream<Path> openRoot() throws IOException {
        Path parent = root.getParent();
        if (parent == null) {
            throw new UnsafeCatalogException(root, "not a catalog directory");
        }
        DirectoryStream<Path> stream = Files.newDirectoryStream(parent);
        if (!(stream instanceof SecureDirectoryStream<Path> secure)) {
            stream.close();
            throw new IOException("cannot open " + escaped(root) + " by descriptor on this platform");
        }
        try (secure) {
            return openDirectory(secure, root.getFileName().toString(), root, true);
        }
    }

    /** The job's directory, opened by descriptor below the checked root; NoSuchFileException if absent. */
    private SecureDirectoryStream<Path> open() throws IOException {
        try (SecureDirectoryStream<Path> catalogRoot = openRoot()) {
            return openDirectory(catalogRoot, jobId, dir, false);
        }
    }

    /** Opens directory {@code name} of {@code parent} with O_NOFOLLOW and checks who owns and may write it. */
    private SecureDirectoryStream<Path> openDirectory(SecureDirectoryStream<Path> parent, String name, Path path,
                                                      boolean sharedRootAllowed) throws IOException {
        Optional<PosixFileAttributes> seen = attributesOf(parent, name);
        if (seen.isEmpty()) {
            throw new NoSuchFileException(escaped(path));
        }
        if (seen.get().isSymbolicLink()) {
            throw new UnsafeCatalogException(path, "a symbolic link");
        }
        SecureDirectoryStream<Path> opened;
        try {
            opened = parent.newDirectoryStream(Path.of(name), LinkOption.NOFOLLOW_LINKS);
        } catch (AccessDeniedException e) {
            throw e;
        } catch (FileSystemException e) {
            // ELOOP: replaced by a link since the look; ENOTDIR: not a directory
            String reason = String.valueOf(e.getReason());
            if (reason.contains("symbolic link")) {
                throw new UnsafeCatalogException(path, "a symbolic link");
            }
            if (reason.contains("Not a directory")) {
                throw new UnsafeCatalogException(path, "not a directory");
            }
            throw e;
        }
        try {
            ensureTrustedDirectory(opened.getFileAttributeView(PosixFileAttributeView.class).readAttributes(), path,
                    sharedRootAllowed);
            return opened;
        } catch (IOException | RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    private void ensureTrustedDirectory(PosixFileAttributes attributes, Path path, boolean sharedRootAllowed)
            throws IOException {
        if (!attributes.isDirectory()) {
            throw new UnsafeCatalogException(path, "not a directory");
        }
        ensureTrustedOwner(attributes, path);
        Set<PosixFilePermission> permissions = attributes.permissions();
        boolean othersMayWrite = permissions.contains(PosixFilePermission.GROUP_WRITE)
                || permissions.contains(PosixFilePermission.OTHERS_WRITE);
        // A root-owned sticky root (/scratch/cryo, 1777) is shared as /tmp is: no one may rename
        // or remove another user's job directory in it.
        boolean sharedRoot = sharedRootAllowed && "root".equals(attributes.owner().getName()) && sticky(path);
        if (othersMayWrite && !sharedRoot) {
            throw new UnsafeCatalogException(path, "writable by other users than its owner");
        }
    }

    private static boolean sticky(Path path) {
        try {
            return ((Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & STICKY) != 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void ensureTrustedOwner(PosixFileAttributes attributes, Path path) throws UnsafeCatalogException {
        String fileOwner = attributes.owner().getName();
        if (!fileOwner.equals(owner) && !fileOwner.equals("root")) {
            throw new UnsafeCatalogException(path, "owned by " + fileOwner + ", not by the job's user " + owner + " or root");
        }
    }

    /** A catalog file must be a regular file (not a link, FIFO or device) of the job's user or root. */
    private void ensureRegularFile(PosixFileAttributes attributes, Path path) throws UnsafeCatalogException {
        if (attributes.isSymbolicLink()) {
            throw new UnsafeCatalogException(path, "a symbolic link");
        }
        if (!attributes.isRegularFile()) {
            throw new UnsafeCatalogException(path, "not a regular file");
        }
        ensureTrustedOwner(attributes, path);
    }

    /** lstat of {@code name} in {@code d} (fstatat, AT_SYMLINK_NOFOLLOW); empty if absent. */
    private static Optional<PosixFileAttributes> attributesOf(SecureDirectoryStream<Path> d, String name)
            throws IOException {
        try {
            return Optional.of(d.getFileAttributeView(Path.of(name), PosixFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS).readAttributes());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private boolean isPresent(String name) throws IOException {
        try (SecureDirectoryStream<Path> d = open()) {
            Optional<PosixFileAttributes> attributes = attributesOf(d, name);
            if (attributes.isPresent()) {
                ensureRegularFile(attributes.get(), dir.resolve(name));
            }
            return attributes.isPresent();
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /** The content of catalog file {@code name}; empty if it (or the directory) does not exist. */
    private Optional<String> read(String name) throws IOException {
        return read(name, MAX_RECORD_BYTES);
    }

    /** {@link #read(String)} of a file of at most {@code maxBytes}: a larger one is refused. */
    private Optional<String> read(String name, int maxBytes) throws IOException {
        try (SecureDirectoryStream<Path> d = open()) {
            Optional<PosixFileAttributes> attributes = attributesOf(d, name);
            if (attributes.isEmpty()) {
                return Optional.empty();
            }
            ensureRegularFile(attributes.get(), dir.resolve(name));
            try (SeekableByteChannel channel = openChecked(d, name, false)) {
                ByteBuffer buffer = ByteBuffer.allocate(maxBytes + 1);
                while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                    // fill
                }
                if (!buffer.hasRemaining()) {
                    throw new UnsafeCatalogException(dir.resolve(name), "larger than " + maxBytes + " bytes");
                }
                return Optional.of(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
            }
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * Replaces catalog file {@code name} atomically: NAME.tmp created O_EXCL|O_NOFOLLOW 0600,
     * written, given to the job's user, renamed onto NAME within the same descriptor.
     */
    private void write(String name, String content) throws IOException {
        write(name, content.getBytes(StandardCharsets.UTF_8), OWNER_ONLY_FILE);
    }

    private void write(String name, byte[] content, FileAttribute<Set<PosixFilePermission>> mode) throws IOException {
        try (SecureDirectoryStream<Path> d = open()) {
            String temp = name + ".tmp";
            removeStale(d, temp);
            Optional<PosixFileAttributes> current = attributesOf(d, name);
            if (current.isPresent()) {
                ensureRegularFile(current.get(), dir.resolve(name));
            }
            Set<OpenOption> exclusive = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            try (SeekableByteChannel channel = d.newByteChannel(Path.of(temp), exclusive, mode)) {
                ByteBuffer bytes = ByteBuffer.wrap(content);
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
            } catch (FileAlreadyExistsException e) {
                throw new UnsafeCatalogException(dir.resolve(temp), "created by someone else meanwhile");
            }
            giveToJobUser(d, temp);
            d.move(Path.of(temp), d, Path.of(name));
        }
    }

    /** Removes a temporary file a crash left; a link or another user's file there is refused. */
    private void removeStale(SecureDirectoryStream<Path> d, String name) throws IOException {
        Optional<PosixFileAttributes> stale = attributesOf(d, name);
        if (stale.isPresent()) {
            ensureRegularFile(stale.get(), dir.resolve(name));
            d.deleteFile(Path.of(name));
        }
    }

    private void delete(String name) throws IOException {
        try (SecureDirectoryStream<Path> d = open()) {
            removeStale(d, name);
        } catch (NoSuchFileException e) {
            // nothing to delete
        }
    }

    private FileChannel openLockFile() throws IOException {
        try (SecureDirectoryStream<Path> d = open()) {
            if (attributesOf(d, LOCK).isEmpty()) {
                try {
                    FileChannel created = (FileChannel) d.newByteChannel(Path.of(LOCK), Set.of(StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), OWNER_ONLY_FILE);
                    giveToJobUser(d, LOCK);
                    return created;
                } catch (FileAlreadyExistsException anotherLockerMadeIt) {
                    // open theirs, checked as any other
                }
            }
            ensureRegularFile(attributesOf(d, LOCK).orElseThrow(() -> new NoSuchFileException(escaped(dir.resolve(LOCK)))),
                    dir.resolve(LOCK));
            return (FileChannel) openChecked(d, LOCK, true);
        }
    }

    /**
     * Opens catalog file {@code name}, checked a regular file already, so that a FIFO put there
     * since (the user owns the directory) can block no one: a FIFO opened for reading and
     * writing never waits for a peer, and a file that cannot seek (a FIFO) is refused before
     * anything is read. Where reading and writing is not allowed (a root-owned file read by the
     * user, a read-only file system) it is opened as asked ({@code write}: for writing, else
     * reading).
     */
    private SeekableByteChannel openChecked(SecureDirectoryStream<Path> d, String name, boolean write) throws IOException {
        SeekableByteChannel channel;
        try {
            channel = d.newByteChannel(Path.of(name),
                    Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS));
        } catch (FileSystemException notWritable) {
            if (notWritable instanceof NoSuchFileException) {
                throw notWritable;
            }
            channel = d.newByteChannel(Path.of(name), Set.of(write ? StandardOpenOption.WRITE : StandardOpenOption.READ,
                    LinkOption.NOFOLLOW_LINKS));
        }
        try {
            channel.position();     // lseek: a FIFO cannot
            return channel;
        } catch (IOException notAFile) {
            channel.close();
            throw new UnsafeCatalogException(dir.resolve(name), "not a regular file");
        }
    }

    private List<Path> contexts(SecureDirectoryStream<Path> d) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path entry : d) {
            Path name = entry.getFileName();
            if (sequence(name) < 0) {
                continue;
            }
            Optional<PosixFileAttributes> attributes = attributesOf(d, name.toString());
            if (attributes.isPresent()) {
                ensureRegularFile(attributes.get(), dir.resolve(name));
                files.add(dir.resolve(name));
            }
        }
        files.sort((a, b) -> Long.compare(sequence(a), sequence(b)));
        return files;
    }

    /** latest -> NAME: a link made in the directory itself (through its descriptor), renamed over the old one. */
    private void linkLatest(SecureDirectoryStream<Path> d, String name) throws IOException {
        String temp = LATEST + ".tmp";
        if (attributesOf(d, temp).isPresent()) {
            d.deleteFile(Path.of(temp));   // unlinkat: a link there is removed, never followed
        }
        Path link = descriptorPath(d).resolve(temp);
        Files.createSymbolicLink(link, Path.of(name));
        if (!owner.equals(currentUser())) {
            Files.getFileAttributeView(link, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setOwner(jobUser());   // lchown
        }
        d.move(Path.of(temp), d, Path.of(LATEST));
    }

    /** mkdirat through the parent's descriptor, mode 0700, then given to the job's user. */
    private void makeDirectory(SecureDirectoryStream<Path> parent, String name) throws IOException {
        Files.createDirectory(descriptorPath(parent).resolve(name), PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
        giveToJobUser(parent, name);
    }

    /** fchown of a file or directory this (privileged) process created for the job's user. */
    private void giveToJobUser(SecureDirectoryStream<Path> d, String name) throws IOException {
        if (owner.equals(currentUser())) {
            return;
        }
        PosixFileAttributeView view = d.getFileAttributeView(Path.of(name), PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        view.setOwner(jobUser());
        view.setGroup(d.getFileAttributeView(PosixFileAttributeView.class).readAttributes().group());
    }

    private UserPrincipal jobUser() throws IOException {
        return dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(owner);
    }

    /**
     * /proc/self/fd/N of an open directory: java.nio has no mkdirat or symlinkat, but a path
     * through this magic link names the directory the descriptor holds, whatever its path now
     * leads to, so a name created under it lands in that directory.
     */
    private Path descriptorPath(SecureDirectoryStream<Path> d) throws IOException {
        Object key = d.getFileAttributeView(PosixFileAttributeView.class).readAttributes().fileKey();
        try (DirectoryStream<Path> descriptors = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path descriptor : descriptors) {
                try {
                    if (key.equals(Files.readAttributes(descriptor, BasicFileAttributes.class).fileKey())) {
                        return descriptor;
                    }
                } catch (IOException closedMeanwhile) {
                    // another thread's descriptor
                }
            }
        }
        throw new IOException("cannot find the descriptor of " + escaped(dir) + " in /proc/self/fd");
    }

    private static String currentUser() {
        return System.getProperty("user.name");
    }

    private static String escaped(Path path) {
        return SafeText.escape(path.toString(), 2 * SafeText.MAX_LENGTH);
    }

    /** A catalog file or directory that is not what Cryo wrote: refused, one line, nothing changed. */
    public static final class UnsafeCatalogException extends IOException {
        UnsafeCatalogException(Path path, String why) {
            super("refusing " + escaped(path) + ": " + why);
        }
    }
}
