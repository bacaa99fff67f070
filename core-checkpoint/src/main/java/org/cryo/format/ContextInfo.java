package org.cryo.format;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/**
 * What a context file says about the checkpointed process, for {@code cryo info} and the API.
 * Serialized to JSON by Jackson as is (records are supported natively).
 *
 * @param fileSize     bytes of the whole context file
 * @param cryoVersion  engine version that wrote it (major*10000+minor*100+patch)
 * @param timeNanos    CLOCK_REALTIME at capture, nanoseconds since the epoch
 * @param freezeNanos  how long the process was stopped
 * @param uid          who took the checkpoint
 * @param gid          who took the checkpoint
 * @param threads      number of threads of the process
 * @param memory       totals per mapping kind, in VmaKind order, kinds without mappings left out
 */
public record ContextInfo(
        long fileSize,
        int cryoVersion,
        long timeNanos,
        long freezeNanos,
        String host,
        String kernel,
        String user,
        int uid,
        int gid,
        int pid,
        int ppid,
        String comm,
        List<String> commandLine,
        String cwd,
        String exe,
        int threads,
        int processes,
        int threadsInAll,
        List<Mapping> mappings,
        List<MemoryUsage> memory,
        List<FileInfo> files) {

    public ContextInfo {
        commandLine = List.copyOf(commandLine);
        mappings = List.copyOf(mappings);
        memory = List.copyOf(memory);
        files = List.copyOf(files);
    }

    /** Capture time. */
    @JsonIgnore
    public Instant time() {
        return Instant.ofEpochSecond(0, timeNanos);
    }

    /** Capture time as ISO-8601, for JSON readers that do not want nanoseconds. */
    @JsonProperty("time")
    public String timeText() {
        return time().toString();
    }

    /** Bytes of page data saved in the file, over all mappings. */
    @JsonProperty("pageBytes")
    public long pageBytes() {
        return memory.stream().mapToLong(MemoryUsage::savedBytes).sum();
    }

    /**
     * One mapping of the address space.
     *
     * @param prot       PROT_* bits
     * @param flags      CRYO_VMA_* bits
     * @param savedBytes page data for this mapping stored in the file
     */
    public record Mapping(VmaKind kind, long start, long end, int prot, int flags, long pgoff,
                          String path, long savedBytes) {
        public long size() {
            return end - start;
        }

        /** "r-x" style protection, as in /proc/PID/maps. */
        @JsonProperty("perms")
        public String permissions() {
            return ((prot & 1) != 0 ? "r" : "-") + ((prot & 2) != 0 ? "w" : "-")
                    + ((prot & 4) != 0 ? "x" : "-");
        }
    }

    /**
     * Memory of one kind of mapping.
     *
     * @param addressBytes bytes of address space
     * @param savedBytes   bytes of page data stored in the file
     */
    public record MemoryUsage(VmaKind kind, int mappings, long addressBytes, long savedBytes) {
    }

    /** One open file descriptor, saved by reference. */
    public record FileInfo(int fd, FdKind kind, String path, int openFlags, int fdFlags, long pos) {
    }
}
