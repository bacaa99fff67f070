package org.cryo.format;

/** enum cryo_fd_kind. */
public enum FdKind {
    REGULAR(1),
    DEVICE(2),
    INHERIT(3),
    /** An end of a pipe between processes of the tree. */
    PIPE(4),
    /** The same open file as a descriptor of the parent (inherited by fork). */
    PARENT(5),
    EVENTFD(6),
    TIMERFD(7),
    SIGNALFD(8),
    EPOLL(9),
    /** An end of a Unix socket pair of the tree. */
    SOCKET(10),
    /** A socket to the outside: comes back unconnected. */
    CLOSED_SOCKET(11),
    /** A TCP socket of the tree (listening, or connected within the tree). */
    TCP(12),
    INOTIFY(13),
    /** A memfd or unlinked POSIX shm file held open. */
    SHMEM(14),
    /** An unconnected Unix socket bound to a name, listening or not: bound again. */
    UNIX_BOUND(15),
    /** A socket made again by its own calls: UDP, ping, raw, unconnected TCP, netlink ... */
    NET_SOCKET(16),
    /** A pidfd of a process of the tree: opened again on it once the tree exists. */
    PIDFD(23),
    /** A /proc file (or namespace file) of a process of the tree: reopened under its PID now. */
    PROC(24),
    /** An O_PATH descriptor: reopened by its path. */
    OPATH(25);

    private final int code;

    FdKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    static FdKind fromCode(long code) throws ContextFormatException {
        for (FdKind kind : values()) {
            if (kind.code == code) {
                return kind;
            }
        }
        throw new ContextFormatException("unknown file descriptor kind " + code);
    }
}
