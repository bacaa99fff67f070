package org.cryo.format;

/** enum cryo_fd_kind. */
public enum FdKind {
    REGULAR(1),
    DEVICE(2),
    INHERIT(3);

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
