package org.cryo.config;

import java.util.List;
import java.util.Optional;

/** Every key of {@code cryo.conf}, in the order docs/CONFIG.md lists them. */
public final class ConfigKeys {
    public static final ConfigKey HOME = java("home", "CRYO_HOME", "(the directory above cryo's jar)",
            "where Cryo is installed (native/target/bin, native/target/lib below it)");
    public static final ConfigKey CATALOG_ROOT = java("catalog.root", "CRYO_CHECKPOINT_DIR", "(WORKDIR/.cryo)",
            "the catalog of context files; by default .cryo in the job's working directory");
    public static final ConfigKey CATALOG_KEEP = java("catalog.keep", "CRYO_KEEP_CHECKPOINTS", "3",
            "context files kept per job (retention)");
    public static final ConfigKey CHECKPOINT_INTERVAL = java("checkpoint.interval", "CRYO_CHECKPOINT_INTERVAL", "(none)",
            "cr_run's periodic checkpoints (90s, 1.5m, 2h)");
    public static final ConfigKey COMPRESSION = both("checkpoint.compression", "CRYO_COMPRESSION", "none",
            "page data compression where the command line says nothing: none, zstd or zstd:LEVEL (as --compress)");
    public static final ConfigKey FULL_EVERY = java("checkpoint.full_every", "CRYO_FULL_EVERY", "8",
            "cr_run's periodic checkpoints: every how many one is full, the others each saving only the pages written"
                    + " since the one before (1: every one full)");
    public static final ConfigKey DELETED_FILE_MAX = both("files.deleted.max", "CRYO_DELETED_FILE_MAX", "67108864",
            "bytes of data of a deleted file in use saved by content (over it, refused)");
    public static final ConfigKey HASH_FILE_MAX = both("files.hash.max", "CRYO_HASH_FILE_MAX", "67108864",
            "bytes of a file the restart reopens that the checkpoint hashes (over it, the file is judged by size and mtime)");
    public static final ConfigKey SHARED_PATHS = both("files.shared.paths", "CRYO_SHARED_PATHS", "(none)",
            "directories (colon-separated) on a node-local file system type that every node shares anyway: an MPI"
                    + " session directory there does not refuse a checkpoint for a requeue or migration");
    public static final ConfigKey NODE_EXEC = java("node.exec", "CRYO_NODE_EXEC", "scheduler",
            "how a checkpoint reaches a job's node: scheduler (srun --overlap, qrsh -inherit, pbs_tmrsh),"
                    + " ssh, or a command prefix with %n (node) and %j (job)");
    public static final ConfigKey SLURM_REST_URL = java("slurm.rest.url", "SLURM_REST_URL", "http://127.0.0.1:6820",
            "slurmrestd's JWT listener");
    public static final ConfigKey SLURM_REST_USER = java("slurm.rest.user", "SLURM_REST_USER_NAME", "(the current user)",
            "the user REST requests act as");
    public static final ConfigKey SLURM_REST_TOKEN_FILE = java("slurm.rest.token.file", "CRYO_SLURM_TOKEN_FILE",
            "(none: 'scontrol token')", "a file holding a JWT for that user (yours, mode 0600)");
    public static final ConfigKey SLURM_API = java("slurm.api", "CRYO_SLURM_API", "auto",
            "slurmrestd API version: auto, v0.0.42, v0.0.41, v0.0.40, v0.0.38");
    public static final ConfigKey SLURM_SCONTROL = java("slurm.scontrol", "CRYO_SCONTROL", "/usr/bin/scontrol",
            "the real scontrol");
    public static final ConfigKey SLURM_SRUN = java("slurm.srun", "CRYO_SRUN", "srun",
            "the srun that runs a checkpoint as a step of the job (node.exec = scheduler)");
    public static final ConfigKey SGE_DRMAA = java("sge.drmaa", "CRYO_SGE_DRMAA", "yes",
            "no: never load the DRMAA library, use qstat/qmod");
    public static final ConfigKey PBS_CONF = java("pbs.conf", "PBS_CONF_FILE", "/etc/pbs.conf", "PBS's own pbs.conf");
    public static final ConfigKey AGENT_TOKEN_FILE = java("agent.token.file", "CRYO_AGENT_TOKEN_FILE", "/etc/cryo/agent.token",
            "the node agents' API bearer token (root's, mode 0600, or 0640 for the console's group); the console sends it");
    public static final ConfigKey AGENT_API_OPEN = java("agent.api.open", "CRYO_AGENT_API_OPEN", "health, metrics",
            "the agent's endpoints served without the token: health, metrics, or none (jobs, decisions and actions always need it)");
    public static final ConfigKey LOG_SYSLOG = both("log.syslog", "CRYO_LOG_SYSLOG", "yes",
            "yes: every checkpoint and restart is logged to syslog/the journal (facility user)");
    public static final ConfigKey LOG_SOCKET = both("log.syslog.socket", "CRYO_LOG_SOCKET", "/dev/log",
            "the syslog datagram socket");
    public static final ConfigKey LOG_FILE = both("log.file", "CRYO_LOG_FILE", "(none)",
            "a file that gets the same lines too");
    public static final ConfigKey PROGRESS = both("progress", "CRYO_PROGRESS", "auto",
            "auto: a progress line on a terminal for work over a second; no: never; always: at once (tests)");

    public static final List<ConfigKey> ALL = List.of(HOME, CATALOG_ROOT, CATALOG_KEEP, CHECKPOINT_INTERVAL, COMPRESSION,
            FULL_EVERY, DELETED_FILE_MAX, HASH_FILE_MAX, SHARED_PATHS, NODE_EXEC, SLURM_REST_URL, SLURM_REST_USER,
            SLURM_REST_TOKEN_FILE, SLURM_API, SLURM_SCONTROL, SLURM_SRUN, SGE_DRMAA, PBS_CONF, AGENT_TOKEN_FILE, AGENT_API_OPEN, LOG_SYSLOG, LOG_SOCKET, LOG_FILE,
            PROGRESS);

    private ConfigKeys() {
    }

    public static Optional<ConfigKey> named(String key) {
        return ALL.stream().filter(k -> k.key().equals(key)).findFirst();
    }

    private static ConfigKey java(String key, String variable, String defaultValue, String description) {
        return new ConfigKey(key, variable, defaultValue, false, description);
    }

    private static ConfigKey both(String key, String variable, String defaultValue, String description) {
        return new ConfigKey(key, variable, defaultValue, true, description);
    }
}
