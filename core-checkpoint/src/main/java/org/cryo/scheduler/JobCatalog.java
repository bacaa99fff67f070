package org.cryo.scheduler;

import org.cryo.api.SafeText;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where context files live: one directory per job id under a checkpoint directory on shared
 * storage, so that a job restarted on any node finds its contexts.  Context files hold nothing
 * node-specific.
 *
 * <p>Where the root is, is the scheduler's provider's choice, made once for both sides (the job's
 * cr_run and an administrator's or a hook's command): {@link BatchJob#catalogRoot} and
 * {@link JobStatus#catalogRoot}.  The usual choice is {@link #defaultRoot}: {@code $CRYO_CHECKPOINT_DIR}
 * when set, else {@code .cryo} in the job's working directory as the scheduler records it.
 * How many context files are kept is {@code $CRYO_KEEP_CHECKPOINTS} (default 3).
 */
public final class JobCatalog {
    public static final String ROOT_VARIABLE = "CRYO_CHECKPOINT_DIR";
    public static final String KEEP_VARIABLE = "CRYO_KEEP_CHECKPOINTS";
    /** The name of the catalog inside a job's working directory. */
    public static final String DEFAULT_NAME = ".cryo";
    /** Context files kept per job unless configured. */
    public static final int DEFAULT_KEEP = 3;

    private final Path root;
    private final int keep;

    public JobCatalog(Path root, int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1, not " + keep);
        }
        this.root = root.toAbsolutePath().normalize();
        this.keep = keep;
    }

    /** The catalog at {@code root}, keeping as many context files as {@code environment} says. */
    public static JobCatalog at(Path root, Map<String, String> environment) {
        return new JobCatalog(root, keepFrom(environment));
    }

    /** {@code $CRYO_CHECKPOINT_DIR} when set in {@code environment}, else {@code WORKDIR/.cryo}. */
    public static Path defaultRoot(Map<String, String> environment, Path workDir) {
        String configured = environment.get(ROOT_VARIABLE);
        Path root = configured != null && !configured.isBlank() ? Path.of(configured) : workDir.resolve(DEFAULT_NAME);
        return root.toAbsolutePath().normalize();
    }

    /** The catalog at {@link #defaultRoot}. */
    public static JobCatalog configured(Map<String, String> environment, Path workDir) {
        return at(defaultRoot(environment, workDir), environment);
    }

    /** How many context files {@code environment} says to keep per job ({@code $CRYO_KEEP_CHECKPOINTS}, default 3). */
    public static int keepFrom(Map<String, String> environment) {
        String text = environment.get(KEEP_VARIABLE);
        if (text == null || text.isBlank()) {
            return DEFAULT_KEEP;
        }
        try {
            return Math.max(1, Integer.parseInt(text.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(KEEP_VARIABLE + " is not a number: '" + text + "'");
        }
    }

    public Path root() {
        return root;
    }

    /** How many context files are kept per job. */
    public int keep() {
        return keep;
    }

    /**
     * The directory of job {@code jobId} of user {@code owner} (created on first write): the
     * catalog trusts files and directories of that user and of root only.
     */
    public JobDirectory job(String jobId, String owner) {
        if (!jobId.matches("[A-Za-z0-9._\\[\\]-]+") || jobId.equals(".") || jobId.equals("..")) {
            throw new IllegalArgumentException("invalid job id '" + SafeText.escape(jobId) + "'");
        }
        return new JobDirectory(jobId, root, keep, owner);
    }
}
