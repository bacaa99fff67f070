package org.cryo.format;

/** enum cryo_vma_kind. */
public enum VmaKind {
    ANON_PRIVATE(1, "anonymous private"),
    ANON_SHARED(2, "anonymous shared"),
    FILE_PRIVATE(3, "file private"),
    FILE_SHARED(4, "file shared"),
    VDSO(5, "vdso"),
    VVAR(6, "vvar"),
    SYSV_SHM(7, "SysV shared memory");

    private final int code;
    private final String description;

    VmaKind(int code, String description) {
        this.code = code;
        this.description = description;
    }

    public int code() {
        return code;
    }

    public String description() {
        return description;
    }

    static VmaKind fromCode(long code) throws ContextFormatException {
        for (VmaKind kind : values()) {
            if (kind.code == code) {
                return kind;
            }
        }
        throw new ContextFormatException("unknown mapping kind " + code);
    }
}
