package org.cryo.api;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** How to take one checkpoint.  Defaults as BLCR's cr_checkpoint: context.PID in the cwd, leave running. */
public final class CheckpointOptions {
    /** Highest signal number on Linux (SIGRTMAX). */
    static final int MAX_SIGNAL = 64;
    /** The engine's zstd level for --compress without one (native/src/pagestream.h). */
    static final int DEFAULT_ZSTD_LEVEL = -50;
    /** The fastest zstd level the engine accepts (PAGESTREAM_ZSTD_FASTEST). */
    static final int FASTEST_ZSTD_LEVEL = -100;

    /** What is checkpointed: BLCR's --tree (the default), --pid, --pgid and --sid. */
    public enum Scope {
        /** The process and all its descendants. */
        TREE("--tree"),
        /** The process alone. */
        PROCESS("--pid"),
        /** Every process of the process group whose ID is given as the PID. */
        PROCESS_GROUP("--pgid"),
        /** Every process of the session whose ID is given as the PID. */
        SESSION("--sid");

        private final String helperOption;

        Scope(String helperOption) {
            this.helperOption = helperOption;
        }

        /** The option of {@code cryo-engine checkpoint} that asks for this. */
        String helperOption() {
            return helperOption;
        }
    }

    private final Path file;
    private final EndAction endAction;
    private final int signal;
    private final Scope scope;
    private final Integer compressLevel;
    private final boolean incremental;
    private final Path parent;
    private final boolean leavingNode;

    private CheckpointOptions(Builder builder) {
        this.leavingNode = builder.leavingNode;
        this.incremental = builder.incremental;
        this.parent = builder.parent;
        this.file = builder.file;
        this.compressLevel = builder.compressLevel;
        this.scope = builder.scope;
        this.endAction = builder.endAction;
        this.signal = builder.signal;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** context.PID in the working directory, process left running. */
    public static CheckpointOptions defaults() {
        return builder().build();
    }

    /** The context file, if one was chosen. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** The context file for {@code pid}: the chosen one, else context.PID in the working directory. */
    public Path fileFor(long pid) {
        return file != null ? file : Path.of("context." + pid);
    }

    public EndAction endAction() {
        return endAction;
    }

    public Scope scope() {
        return scope;
    }

    /** The signal sent for {@link EndAction#SIGNAL}, else 0. */
    public int signal() {
        return signal;
    }

    /**
     * The zstd level the page data is compressed at ({@code cr_checkpoint --compress=zstd:LEVEL}),
     * or empty: not compressed.
     */
    public Optional<Integer> compressLevel() {
        return Optional.ofNullable(compressLevel);
    }

    /** Whether the checkpoint tracks writes for the next one (and, with a parent, saves only those). */
    public boolean incremental() {
        return incremental;
    }

    /** The parent of an incremental checkpoint: only the pages written since it was taken are saved. */
    public Optional<Path> parent() {
        return Optional.ofNullable(parent);
    }

    /** For a requeue or migration: the restart may be on another node ({@link Builder#leavingNode}). */
    public boolean leavingNode() {
        return leavingNode;
    }

    public static final class Builder {
        private boolean leavingNode;
        private Integer compressLevel;
        private Path file;
        private Scope scope = Scope.TREE;
        private EndAction endAction = EndAction.RUNNING;
        private int signal;
        private boolean incremental;
        private Path parent;

        private Builder() {
        }

        /**
         * An incremental checkpoint on {@code parent} (null: a full file that starts a chain): the
         * engine tracks the process's writes from now on, and the file holds only the pages written
         * since {@code parent} was taken; a restart follows the chain (docs/FORMAT.md).
         */
        public Builder incremental(Path parent) {
            this.incremental = true;
            this.parent = parent;
            return this;
        }

        /**
         * The checkpoint is for a requeue or migration, whose restart may be on another node: an
         * MPI session directory the job keeps on a node-local file system is refused, naming it
         * ({@code cryo-engine checkpoint --leaving-node}, native/src/nodelocal.h).
         */
        public Builder leavingNode(boolean leavingNode) {
            this.leavingNode = leavingNode;
            return this;
        }

        public Builder scope(Scope scope) {
            this.scope = Objects.requireNonNull(scope, "scope");
            return this;
        }

        public Builder file(Path file) {
            this.file = Objects.requireNonNull(file, "file");
            return this;
        }

        public Builder endAction(EndAction endAction) {
            this.endAction = Objects.requireNonNull(endAction, "endAction");
            return this;
        }

        /** Send {@code signal} once the checkpoint is complete (sets the end action to SIGNAL). */
        public Builder signal(int signal) {
            if (signal < 1 || signal > MAX_SIGNAL) {
                throw new IllegalArgumentException("signal " + signal + " is not between 1 and " + MAX_SIGNAL);
            }
            this.signal = signal;
            this.endAction = EndAction.SIGNAL;
            return this;
        }

        /** Compress the page data with zstd at Cryo's default level (-50, one of zstd's fast levels). */
        public Builder compress() {
            return compress(DEFAULT_ZSTD_LEVEL);
        }

        /** Compress the page data with zstd at {@code level}: -100 to -1 (faster) or 1 to 19. */
        public Builder compress(int level) {
            if (level < FASTEST_ZSTD_LEVEL || level > 19 || level == 0) {
                throw new IllegalArgumentException("zstd level " + level + " is not " + FASTEST_ZSTD_LEVEL
                        + " to -1 or 1 to 19");
            }
            this.compressLevel = level;
            return this;
        }

        public CheckpointOptions build() {
            if (endAction == EndAction.SIGNAL && signal == 0) {
                throw new IllegalArgumentException("end action SIGNAL needs signal(n)");
            }
            return new CheckpointOptions(this);
        }
    }
}
