package org.cryo.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** How to restart from a context file.  Defaults as BLCR's cr_restart: original PID, wait, same terminal. */
public final class RestartOptions {
    private final boolean restorePid;
    private final boolean detach;
    private final boolean inheritIo;
    private final boolean verbose;
    private final boolean asCaller;
    private final boolean restoreSid;
    private final boolean restorePgid;
    private final List<Relocation> relocations;

    private RestartOptions(Builder builder) {
        this.restorePid = builder.restorePid;
        this.detach = builder.detach;
        this.inheritIo = builder.inheritIo;
        this.verbose = builder.verbose;
        this.asCaller = builder.asCaller;
        this.restoreSid = builder.restoreSid;
        this.restorePgid = builder.restorePgid;
        this.relocations = List.copyOf(builder.relocations);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static RestartOptions defaults() {
        return builder().build();
    }

    /** Restore the original PID (fails if it is taken) rather than take a new one. */
    public boolean restorePid() {
        return restorePid;
    }

    /** The helper returns once the process runs, instead of staying its parent until it exits. */
    public boolean detach() {
        return detach;
    }

    /** The helper shares this JVM's stdin/stdout/stderr; otherwise they are pipes to the caller. */
    public boolean inheritIo() {
        return inheritIo;
    }

    /** The helper says on stderr how PIDs and credentials come back. */
    public boolean verbose() {
        return verbose;
    }

    /**
     * Root restarting a file another user recorded: run it with root's own credentials instead of
     * the recorded user's.  (A normal user always gets its own.)
     */
    public boolean asCaller() {
        return asCaller;
    }

    /**
     * A root that led its session leads it again (its session id is its PID, the recorded one when
     * PIDs are restored), so a batch system that tracks the job by session (PBS) finds it; false:
     * it stays in the caller's session, as BLCR's default was.  Processes below the roots always
     * get their sessions back.
     */
    public boolean restoreSid() {
        return restoreSid;
    }

    /** A root that led its process group leads it again; false: it joins the caller's group. */
    public boolean restorePgid() {
        return restorePgid;
    }

    /** Path prefixes to rewrite on restart, in the order given. */
    public List<Relocation> relocations() {
        return relocations;
    }

    /** Files recorded under {@code from} are looked for under {@code to}. */
    public record Relocation(String from, String to) {
        public Relocation {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            if (from.isEmpty()) {
                throw new IllegalArgumentException("relocation needs a non-empty old path");
            }
        }
    }

    public static final class Builder {
        private boolean restorePid = true;
        private boolean detach;
        private boolean inheritIo = true;
        private boolean verbose;
        private boolean asCaller;
        private boolean restoreSid = true;
        private boolean restorePgid = true;
        private final List<Relocation> relocations = new ArrayList<>();

        private Builder() {
        }

        public Builder restorePid(boolean restorePid) {
            this.restorePid = restorePid;
            return this;
        }

        public Builder detach(boolean detach) {
            this.detach = detach;
            return this;
        }

        public Builder inheritIo(boolean inheritIo) {
            this.inheritIo = inheritIo;
            return this;
        }

        public Builder verbose(boolean verbose) {
            this.verbose = verbose;
            return this;
        }

        public Builder asCaller(boolean asCaller) {
            this.asCaller = asCaller;
            return this;
        }

        public Builder restoreSid(boolean restoreSid) {
            this.restoreSid = restoreSid;
            return this;
        }

        public Builder restorePgid(boolean restorePgid) {
            this.restorePgid = restorePgid;
            return this;
        }

        /** Repeatable: each call adds one prefix rewrite. */
        public Builder relocate(String from, String to) {
            relocations.add(new Relocation(from, to));
            return this;
        }

        public RestartOptions build() {
            return new RestartOptions(this);
        }
    }
}
